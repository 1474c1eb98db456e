"""Accessibility checks with axe-core, vendored in tests/e2e/vendor (MPL-2.0; see its LICENSE):
loaded into every page of a browser context as an init script, so no page has to serve it and
the Content-Security-Policy stays as deployed."""

from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

AXE_CORE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# WCAG 2.1 A and AA, as axe tags them, plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("serious", "critical")

_RUN = """async (tags) => {
  const result = await window.axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}"""


def axe_load(context) -> None:
    """Make axe available on every page the context opens from now on."""
    context.add_init_script(path=str(AXE_CORE))


def axe_violations(page) -> list[dict]:
    """axe's serious and critical violations on the page as it is now."""
    return [v for v in page.evaluate(_RUN, AXE_TAGS) if v["impact"] in FAILING]


# Not our pages: Django's admin (its own markup and styles) and the API reference (Swagger UI).
NOT_CHECKED = ("/admin/", "/api/")


def axe_pages(page, urls: list[str], base_url: str) -> dict[str, list[dict]]:
    """Open each of our HTML pages among `urls` again and check it; {url: violations} for those
    that fail."""
    failing = {}
    for url in dict.fromkeys(url.split("#")[0] for url in urls):
        path = url.removeprefix(base_url)
        if not url.startswith(base_url + "/") or path.startswith(NOT_CHECKED):
            continue
        try:
            response = page.goto(url)
        except PlaywrightError:  # a page reached by a form's POST: not there to GET again
            continue
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        if found := axe_violations(page):
            failing[url] = found
    return failing


def axe_report(violations: list[dict]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}" for v in violations)
