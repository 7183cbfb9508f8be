"""Every state change of circulation records, one module per area.

Services take keyword-only arguments, always an `actor` (the staff user, or the patron
for self-service, or None for the system), run in one transaction, and refuse with a
`CirculationRefused` whose message can be shown as it is. Admin pages, portal views,
commands and tasks are thin callers. `from circulation import services` and
`services.loan_checkout(...)` work as before the split: the public names are here.
"""

from circulation.services._common import UNAVAILABLE_STATUSES
from circulation.services.fines import fine_pay, fine_waive, payment_take
from circulation.services.hold_targets import (
    hold_pull,
    hold_suspend,
    hold_target_copy,
)
from circulation.services.holds import hold_cancel, hold_expire_unclaimed, hold_place
from circulation.services.library import (
    branch_closure_delete,
    branch_closure_save,
    branch_delete,
    branch_save,
    circulation_rule_delete,
    circulation_rule_save,
    item_delete,
    item_save,
    opening_hours_delete,
    opening_hours_save,
    program_delete,
    program_save,
    title_delete,
    title_save,
)
from circulation.services.loans import (
    ReturnResult,
    history_entry_delete,
    loan_checkout,
    loan_return,
)
from circulation.services.lost import (
    fine_charge_manual,
    item_declare_damaged,
    item_declare_lost,
    mark_long_overdue_lost,
    record_overdue_counts,
)
from circulation.services.policy import library_policy_update
from circulation.services.programs import (
    program_cancel_registration,
    program_mark_attended,
    program_register,
)
from circulation.services.renewals import (
    loan_renew,
    loan_renew_by_barcode,
)
from circulation.services.visits import (
    computer_session_end,
    computer_session_start,
    gate_count_record,
    visit_record,
)

__all__ = [
    "UNAVAILABLE_STATUSES",
    "ReturnResult",
    "branch_closure_delete",
    "branch_closure_save",
    "branch_delete",
    "branch_save",
    "circulation_rule_delete",
    "circulation_rule_save",
    "computer_session_end",
    "computer_session_start",
    "fine_charge_manual",
    "fine_pay",
    "fine_waive",
    "gate_count_record",
    "history_entry_delete",
    "hold_cancel",
    "hold_expire_unclaimed",
    "hold_place",
    "hold_pull",
    "hold_suspend",
    "hold_target_copy",
    "item_declare_damaged",
    "item_declare_lost",
    "item_delete",
    "item_save",
    "library_policy_update",
    "loan_checkout",
    "loan_renew",
    "loan_renew_by_barcode",
    "loan_return",
    "mark_long_overdue_lost",
    "opening_hours_delete",
    "opening_hours_save",
    "payment_take",
    "program_cancel_registration",
    "program_delete",
    "program_mark_attended",
    "program_register",
    "program_save",
    "record_overdue_counts",
    "title_delete",
    "title_save",
    "visit_record",
]
