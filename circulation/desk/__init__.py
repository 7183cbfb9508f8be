"""The circulation desk: the staff pages of a shift with a barcode scanner. The scans
(`scanning.py`: check out and payment; `returns.py`: check in, renew, the hold shelf),
what the desk keeps in the session (`state.py`), the desk home, finding a patron without a
card, holds to pull, transit, lost and damaged copies, payments, visits and computers,
reading history, and the printed slips and receipts. Each page calls circulation's
services."""
