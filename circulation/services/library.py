"""The library's settings and catalog as staff edit them in the admin: branches with
their opening hours and closed days, the circulation rules, titles and their copies, and
programs. Each save is validated (a refusal says which value is wrong) and each delete
refused while other rows still use the row; the audit log names the actor.

The fields other services own are kept as the database has them: a copy's status and its
check-out count (the desk's), a program's sign-up and attendance counts (its sign-ups')."""

from circulation.exceptions import CirculationRefusal
from circulation.models import (
    Branch,
    BranchClosure,
    CirculationRule,
    Item,
    OpeningHours,
    Program,
    Title,
)
from core.checked_writes import delete_checked, save_checked
from privacy.acting import service

SAVE = CirculationRefusal.NOT_SAVED
DELETE = CirculationRefusal.IN_USE


@service
def branch_save(branch: Branch, *, actor) -> Branch:
    return save_checked(branch, actor=actor, code=SAVE)


@service
def branch_delete(branch: Branch, *, actor) -> None:
    delete_checked(branch, actor=actor, code=DELETE)


@service
def opening_hours_save(hours: OpeningHours, *, actor) -> OpeningHours:
    return save_checked(hours, actor=actor, code=SAVE)


@service
def opening_hours_delete(hours: OpeningHours, *, actor) -> None:
    delete_checked(hours, actor=actor, code=DELETE)


@service
def branch_closure_save(closure: BranchClosure, *, actor) -> BranchClosure:
    """A closed day (one date, or a yearly holiday; no branch = every branch)."""
    return save_checked(closure, actor=actor, code=SAVE)


@service
def branch_closure_delete(closure: BranchClosure, *, actor) -> None:
    delete_checked(closure, actor=actor, code=DELETE)


@service
def circulation_rule_save(rule: CirculationRule, *, actor) -> CirculationRule:
    """A rule; two rules for the same cell (category, item type, branch) are refused."""
    return save_checked(rule, actor=actor, code=SAVE)


@service
def circulation_rule_delete(rule: CirculationRule, *, actor) -> None:
    delete_checked(rule, actor=actor, code=DELETE)


@service
def title_save(title: Title, *, actor) -> Title:
    return save_checked(title, actor=actor, code=SAVE)


@service
def title_delete(title: Title, *, actor) -> None:
    """Refused while the title has copies or holds."""
    delete_checked(title, actor=actor, code=DELETE)


@service
def item_save(item: Item, *, actor) -> Item:
    """A copy's barcode, branch, type, call number or price. Its status changes only
    through the desk's services (check-in, transit, lost and damaged): a copy on loan
    cannot be made "available" here, and a new copy starts on the shelf."""
    if item._state.adding or item.pk is None:
        item.status = Item.Status.AVAILABLE
        item.circulation_count = 0
    return save_checked(item, actor=actor, code=SAVE, kept=("status", "circulation_count"))


@service
def item_delete(item: Item, *, actor) -> None:
    """Refused while the copy has loans on record (a lost copy is declared lost)."""
    delete_checked(item, actor=actor, code=DELETE)


@service
def program_save(program: Program, *, actor) -> Program:
    return save_checked(
        program, actor=actor, code=SAVE, kept=("registration_count", "attendance_count")
    )


@service
def program_delete(program: Program, *, actor) -> None:
    delete_checked(program, actor=actor, code=DELETE)
