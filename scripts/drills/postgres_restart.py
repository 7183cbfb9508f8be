"""PostgreSQL restarted during desk check-outs and kiosk check-ins: each action done once
(or refused with a message and done on the next scan), no loan doubled, and the process
carries on after the restart with no restart of its own."""

from __future__ import annotations

import threading
import time

from django.db import close_old_connections, connection

from circulation import services
from circulation.models import Loan
from scripts.drills.library import attempt, small_library
from scripts.drills.servers import PrivatePostgres, say


def drill(scale: int, postgres: PrivatePostgres) -> bool:
    per_desk = 10 * scale
    desks, kiosks = 2, 2
    branch, clerk, cards, copies = small_library(
        patrons=8, items=(desks + kiosks) * per_desk, on_loan=kiosks * per_desk
    )
    to_return = copies[: kiosks * per_desk]
    to_lend = copies[kiosks * per_desk :]
    connection.close()
    outcomes: list = []
    lock = threading.Lock()

    def desk(items, card):
        for item in items:
            attempt(
                lambda item=item: services.loan_checkout(
                    card=card, barcode=item.barcode, actor=clerk, branch=branch
                ),
                outcomes,
                lock,
                f"check-out {item.barcode}",
            )
            time.sleep(0.02)

    def kiosk(items):
        for item in items:
            attempt(
                lambda item=item: services.loan_return(
                    barcode=item.barcode, actor=clerk, branch=branch
                ),
                outcomes,
                lock,
                f"check-in {item.barcode}",
            )
            time.sleep(0.02)

    threads = [
        threading.Thread(target=desk, args=(to_lend[n::desks], cards[n])) for n in range(desks)
    ] + [threading.Thread(target=kiosk, args=(to_return[n::kiosks],)) for n in range(kiosks)]
    for thread in threads:
        thread.start()
    time.sleep(0.3 * scale)
    started = time.monotonic()
    postgres.restart()
    say(f"  PostgreSQL restarted (pg_ctl restart -m fast) in {time.monotonic() - started:.1f} s")
    for thread in threads:
        thread.join(timeout=120)

    close_old_connections()
    interrupted = [tries for _label, tries in outcomes if len(tries) > 1]
    messages = sorted({step for tries in interrupted for step in tries if step != "done"})
    doubles = Loan.objects.filter(item__in=to_lend, returned_at__isnull=True).values("item")
    per_item = {}
    for row in doubles:
        per_item[row["item"]] = per_item.get(row["item"], 0) + 1
    lent_once = sum(1 for item in to_lend if per_item.get(item.pk) == 1)
    doubled = sum(1 for count in per_item.values() if count > 1)
    still_out = Loan.objects.filter(item__in=to_return, returned_at__isnull=True).count()
    returned = Loan.objects.filter(item__in=to_return, returned_at__isnull=False).count()
    say(
        f"  actions: {len(outcomes)} ({len(to_lend)} check-outs at 2 desks, "
        f"{len(to_return)} check-ins at 2 kiosks)"
    )
    say(f"  interrupted by the restart and done on a later scan: {len(interrupted)}")
    for message in messages:
        say(f"    what the first scan got: {message}")
    say(
        f"  check-outs: {lent_once} lent exactly once, {doubled} lent twice, "
        f"{len(to_lend) - lent_once - doubled} not lent"
    )
    say(f"  check-ins: {returned} returned once, {still_out} still out")
    ok = (
        lent_once == len(to_lend)
        and doubled == 0
        and still_out == 0
        and returned == len(to_return)
        and len(outcomes) == len(to_lend) + len(to_return)
    )
    # The site's own process carried on after the restart, with no restart of its own.
    after = services.loan_return(barcode=to_lend[0].barcode, actor=clerk, branch=branch)
    say(
        f"  an action after the restart, in the same process: check-in of "
        f"{to_lend[0].barcode} -> {'done' if after.loan else 'nothing'}"
    )
    return ok
