"""The desk: check-out + check-in pairs through the services (`loan_checkout`,
`loan_return`), as the desk pages call them, in one process and in two at once."""

from __future__ import annotations

import multiprocessing
import random
import time

from django.contrib.auth import get_user_model
from django.db import connection, connections

from circulation.services import loan_checkout, loan_return
from core.refusals import Refused


def desk_material(
    patrons: int, items: int, branch_id: int | None = None
) -> tuple[list[str], list[str]]:
    """Cards of patrons who may borrow (valid card, no unpaid fine, no block) and barcodes
    of copies on the shelf that no hold will trap on return; with `branch_id`, copies of
    that branch only (returned elsewhere, a copy goes in transit to its branch)."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.number FROM patrons_card c JOIN patrons_patron p ON p.id = c.patron_id
            WHERE c.status = 'active' AND p.status = 'active' AND p.id > 1
              AND p.card_expires_on > CURRENT_DATE
              AND NOT EXISTS (SELECT 1 FROM circulation_fine f
                              WHERE f.patron_id = p.id AND f.settled_at IS NULL)
              AND NOT EXISTS (SELECT 1 FROM patrons_patronblock b WHERE b.patron_id = p.id)
            ORDER BY p.id LIMIT %s""",
            [patrons],
        )
        cards = [row[0] for row in cur.fetchall()]
        cur.execute(
            """SELECT i.barcode FROM circulation_item i
            WHERE i.status = 'available' AND (%s::int IS NULL OR i.branch_id = %s::int)
              AND NOT EXISTS (SELECT 1 FROM circulation_hold h WHERE h.title_id = i.title_id
                              AND h.status IN ('placed', 'in_transit', 'waiting'))
            ORDER BY i.id LIMIT %s""",
            [branch_id, branch_id, items],
        )
        barcodes = [row[0] for row in cur.fetchall()]
    return cards, barcodes


def _pairs(cards: list[str], barcodes: list[str], seconds: float, seed: int) -> dict:
    """Check out and back in for `seconds`; an item another desk holds is refused and
    skipped (that is the contention two desks meet)."""
    actor = get_user_model().objects.get(username="bench-clerk")
    rng = random.Random(seed)
    order = barcodes[:]
    rng.shuffle(order)
    done = refused = 0
    start = time.perf_counter()
    index = 0
    while time.perf_counter() - start < seconds:
        barcode = order[index % len(order)]
        card = cards[(index * 7 + seed) % len(cards)]
        index += 1
        try:
            loan_checkout(card_number=card, barcode=barcode, actor=actor)
        except Refused:
            refused += 1
            continue
        loan_return(barcode=barcode, actor=actor)
        done += 1
    elapsed = time.perf_counter() - start
    return {"pairs": done, "refused": refused, "seconds": elapsed}


def _worker(args) -> dict:
    connections.close_all()  # a fresh connection in the child process
    result = _pairs(*args)
    connections.close_all()
    return result


def measure(seconds: float) -> dict:
    cards, barcodes = desk_material(400, 400)
    if len(cards) < 10 or len(barcodes) < 10:
        raise RuntimeError("not enough patrons or copies for the desk measure")
    single = _pairs(cards, barcodes, seconds, seed=1)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        both = pool.map(
            _worker,
            [
                (cards[: len(cards) // 2], barcodes, seconds, 2),
                (cards[len(cards) // 2 :], barcodes, seconds, 3),
            ],
        )
    with connection.cursor() as cur:
        cur.execute(
            """SELECT count(*) FROM (SELECT item_id FROM circulation_loan
            WHERE returned_at IS NULL GROUP BY item_id HAVING count(*) > 1) AS x"""
        )
        double_loans = cur.fetchone()[0]
        cur.execute(
            """SELECT count(*) FROM circulation_item i WHERE i.barcode = ANY(%s)
            AND (i.status <> 'available' OR EXISTS (SELECT 1 FROM circulation_loan l
                 WHERE l.item_id = i.id AND l.returned_at IS NULL))""",
            [barcodes],
        )
        left_out = cur.fetchone()[0]
    two = {
        "pairs": sum(r["pairs"] for r in both),
        "refused": sum(r["refused"] for r in both),
        "seconds": max(r["seconds"] for r in both),
    }
    return {
        "one_process_pairs_per_s": round(single["pairs"] / single["seconds"], 1),
        "one_process": single,
        "two_processes_pairs_per_s": round(two["pairs"] / two["seconds"], 1),
        "two_processes": two,
        "double_loans": double_loans,
        "copies_not_back_on_shelf": left_out,
    }
