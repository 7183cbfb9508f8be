"""docs/architecture.md is drawn from the code: every room (package) and every package
inside one is named there, and every room is in the import contracts."""

import tomllib

import pytest

from tests.helpers import OUR_PACKAGES, ROOT

DOC = (ROOT / "docs" / "architecture.md").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: Folders Django gives a meaning of its own, not rooms of ours.
DJANGO_FOLDERS = {"migrations", "management", "commands", "templatetags", "formats", "es"}


def packages() -> list[str]:
    found = []
    for top in OUR_PACKAGES:
        for init in sorted((ROOT / top).rglob("__init__.py")):
            folder = init.parent.relative_to(ROOT)
            if not DJANGO_FOLDERS & set(folder.parts):
                found.append(folder.as_posix())
    return found


def test_every_top_level_folder_with_code_is_a_listed_package():
    folders = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench"}
    }
    assert folders == set(OUR_PACKAGES)


@pytest.mark.parametrize("package", packages())
def test_the_architecture_page_names_every_package(package):
    assert f"{package}/" in DOC or f"`{package}`" in DOC, (
        f"docs/architecture.md does not name {package}/: say what it holds and where it "
        "stands in the house"
    )


def test_every_room_is_in_the_import_contracts():
    linter = PYPROJECT["tool"]["importlinter"]
    assert set(linter["root_packages"]) == set(OUR_PACKAGES)
    layered = next(c for c in linter["contracts"] if c["type"] == "layers")
    on_floors = {room.strip() for floor in layered["layers"] for room in floor.split("|")}
    assert on_floors == set(OUR_PACKAGES)
    acyclic = next(c for c in linter["contracts"] if c["type"] == "acyclic_siblings")
    assert set(acyclic["ancestors"]) == set(OUR_PACKAGES)


MOST_LINES = 450


def test_no_module_passes_450_lines():
    """A module that grows past this holds two concepts: give the second a room of its own
    (migrations are Django's, tests are read one test at a time)."""
    roots = [*OUR_PACKAGES, "bench", "scripts"]
    long = {
        path.relative_to(ROOT).as_posix(): lines
        for top in roots
        for path in (ROOT / top).rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text().splitlines())) > MOST_LINES
    }
    assert not long, f"modules over {MOST_LINES} lines: {long}"
