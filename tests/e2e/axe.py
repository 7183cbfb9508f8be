"""The one axe-core helper of the browser tests (staff and public pages alike).

axe-core is the accessibility engine browsers' own tools use; `make test` (`make axe`)
installs it from the npm registry into var/axe and names `axe.min.js` in CALUMET_AXE_CORE,
as CI does. Without it, the tests that need it are skipped; under CI=true its absence
fails them.

The engine goes into every page of a context as an init script (the DevTools protocol's
"script to evaluate on new document"), which the site's Content Security Policy does not
apply to: the pages are checked with their real policy, no `bypass_csp`, so a page that
needed an inline style or script would show it here too.
"""

import os
from pathlib import Path

import pytest

AXE_CORE = os.environ.get("CALUMET_AXE_CORE", "")
# WCAG 2.1 levels A and AA: what the library promises (docs/accessibility.md).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe's "best practice" rules on the structure a screen reader user moves by: one main
# landmark, all content inside landmarks, a level-one heading and no skipped levels, a
# skip link that leads somewhere. Not WCAG criteria as such, so asked for by name.
STRUCTURE = [
    "landmark-one-main",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "landmark-no-duplicate-main",
    "landmark-unique",
    "region",
    "page-has-heading-one",
    "heading-order",
    "empty-heading",
    "skip-link",
]


def require_axe() -> None:
    if AXE_CORE and Path(AXE_CORE).is_file():
        return
    why = (
        "CALUMET_AXE_CORE does not name axe.min.js "
        "(make test fetches it; or make axe, then "
        "CALUMET_AXE_CORE=var/axe/node_modules/axe-core/axe.min.js)"
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(why)
    pytest.skip(why)


def axe_context(browser, base_url: str, **options):
    """A browser context whose every page carries axe-core, ready for `violations(page)`."""
    require_axe()
    context = browser.new_context(base_url=base_url, **options)
    context.add_init_script(path=AXE_CORE)
    return context


def violations(page, tags=WCAG_21_AA, rules=()) -> list[str]:
    """The page's violations of the rules with these tags (and of the `rules` named
    besides) as readable lines: rule, impact, what it asks, and the CSS selectors of the
    elements that break it. Empty when the page passes."""
    result = page.evaluate(
        """([tags, rules]) => axe.run(document, {
          runOnly: {type: "tag", values: tags},
          rules: Object.fromEntries(rules.map((rule) => [rule, {enabled: true}])),
          resultTypes: ["violations"],
        })""",
        [tags, list(rules)],
    )
    lines = []
    for rule in result["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        more = f" and {len(rule['nodes']) - 5} more" if len(rule["nodes"]) > 5 else ""
        lines.append(
            f"{rule['id']} [{rule['impact']}] {rule['help']}: {targets}{more}"
            f" (e.g. {rule['nodes'][0]['html'][:160]})"
        )
    return lines


def report(found: dict[str, list[str]]) -> str:
    """`{page: violations}` as the failure message, one page after another."""
    return "\n".join(
        f"{name}:\n" + "\n".join(f"  - {line}" for line in lines)
        for name, lines in found.items()
        if lines
    )
