"""Refusal codes are members of each app's enum: one misspelt cannot be raised, and the
codes compared are the ones raised."""

import ast
import importlib
from pathlib import Path

import pytest
from django.utils import translation

from circulation.exceptions import CirculationRefusal, CirculationRefused
from core.refusals import RefusalCode, Refused
from disclosures.exceptions import DisclosureRefusal, DisclosureRefused
from patrons.exceptions import PatronRefusal
from tests.helpers import OUR_PACKAGES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [name for name in OUR_PACKAGES if name != "calumet"]
# Every room's refusal enum: each app declares it in its `exceptions` module.
for _package in PACKAGES:
    if (ROOT / _package / "exceptions.py").exists():
        importlib.import_module(f"{_package}.exceptions")
ENUMS = {enum.__name__: enum for enum in RefusalCode.__subclasses__()}


def _modules():
    for package in [*PACKAGES, "calumet"]:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def _member(node: ast.AST) -> str | None:
    """`SomeRefusal.MEMBER` as "SomeRefusal.MEMBER", if it is one."""
    named = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    if named and node.value.id.endswith("Refusal"):
        return f"{node.value.id}.{node.attr}"
    return None


def _exists(name: str) -> bool:
    enum_name, _, member = name.partition(".")
    return enum_name in ENUMS and member in ENUMS[enum_name].__members__


def _coded_parameter(tree: ast.AST, call: ast.Call) -> bool:
    """`code.refuse(...)` where `code` is a parameter of the enclosing function annotated
    `RefusalCode` (its callers pass a member, which the walk checks at their call)."""
    if not isinstance(call.func.value, ast.Name):
        return False
    name = call.func.value.id
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not any(inner is call for inner in ast.walk(function)):
            continue
        arguments = function.args
        for argument in [*arguments.args, *arguments.kwonlyargs]:
            annotation = argument.annotation
            if argument.arg == name and annotation is not None:
                return ast.unparse(annotation) == "RefusalCode"
    return False


def test_every_code_raised_is_a_member_of_an_apps_enum():
    bad = []
    seen = 0
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name and name.endswith("Refused"):
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        seen += 1
                        member = _member(keyword.value)
                        if member is None or not _exists(member):
                            bad.append(f"{where}: code={ast.unparse(keyword.value)}")
                if node.args and _member(node.args[0]):
                    seen += 1
                    if not _exists(_member(node.args[0])):
                        bad.append(f"{where}: {ast.unparse(node.args[0])}")
            if isinstance(node.func, ast.Attribute) and node.func.attr == "refuse":
                seen += 1
                if _coded_parameter(tree, node):
                    continue  # a helper refusing with the code its caller names
                member = _member(node.func.value)
                if member is None or not _exists(member):
                    bad.append(f"{where}: {ast.unparse(node.func)}")
    assert seen > 100  # the walk finds the raise sites
    assert not bad, "\n".join(bad)


def test_codes_are_compared_as_members_never_as_text():
    bad = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute)):
                continue
            if node.left.attr == "code" and "refus" in ast.unparse(node.left.value):
                for other in node.comparators:
                    if isinstance(other, ast.Constant | ast.Tuple | ast.List | ast.Set):
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, bad


def test_a_code_that_is_not_a_member_is_refused_at_once():
    with pytest.raises(TypeError):
        Refused("This item is not checked out.", code="not_on_loan")
    with pytest.raises(TypeError):
        CirculationRefused("Enter an amount such as 2.50.", code="amuont")
    # With no code, the refusal is the plain "refused" one.
    assert Refused("Scan the patron's card first.").code == "refused"


def test_a_member_carries_its_message_and_equals_its_old_code():
    refusal = Refused(CirculationRefusal.ON_LOAN)
    assert refusal.code == "on_loan" and refusal.code is CirculationRefusal.ON_LOAN
    assert str(refusal) == refusal.message == "This item is already on loan. Check it in first."
    assert CirculationRefusal("unknown_item") is CirculationRefusal.UNKNOWN_ITEM
    # Another message for the same code.
    other = CirculationRefused("A charge must be more than $0.00.", code=CirculationRefusal.AMOUNT)
    assert (other.code, other.message) == ("amount", "A charge must be more than $0.00.")


def test_refuse_fills_the_named_fields_and_is_the_apps_refusal():
    refusal = CirculationRefusal.HOLD_LIMIT.refuse(limit=5)
    assert isinstance(refusal, CirculationRefused)
    assert (refusal.code, refusal.message) == ("hold_limit", "Hold limit reached (5 holds).")
    assert isinstance(DisclosureRefusal.STATUS.refuse(), DisclosureRefused)
    refusal = PatronRefusal.TOO_MANY.refuse(minutes=15)
    assert type(refusal) is Refused and "15 minutes" in refusal.message


def test_a_patrons_refusal_is_in_their_language_when_raised():
    with translation.override("es"):
        refusal = CirculationRefusal.HOLD_LIMIT.refuse(limit=3)
        closed = CirculationRefused(CirculationRefusal.CLOSED)
    assert refusal.message == "Llegó al límite de reservas (3 reservas)."
    assert closed.message != "This hold is no longer active."
    # Raised in English, it stays English whatever language is active later.
    english = CirculationRefused(CirculationRefusal.CLOSED)
    with translation.override("es"):
        assert english.message == "This hold is no longer active."


def test_every_apps_enum_is_a_refusal_code_enum():
    for module in ("circulation", "disclosures", "patrons", "privacy"):
        exceptions = importlib.import_module(f"{module}.exceptions")
        enums = [
            value
            for value in vars(exceptions).values()
            if isinstance(value, type)
            and issubclass(value, RefusalCode)
            and value is not RefusalCode
        ]
        assert len(enums) == 1, module
