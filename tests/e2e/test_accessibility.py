"""
axe-core on every kind of public page and on the admin pages an editor works in,
and the screenshots the README shows, taken on the way.
"""

import warnings

import pytest

from articles import workflow
from articles.models import Article
from tests.e2e.conftest import axe_violations, blocking, describe, inside, make_staff, screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed").expect

ARTICLE = "weekly-brief-khribish-kanna-algiers-mayors-brussels"
WITHDRAWN = "weekly-brief-airstrikes-south-of-sirte-serraj-sullivan-salame"

# (what the page is, its address, the status it answers, the screenshot it gives the README)
PUBLIC_PAGES = [
    ("home", "/", 200, "home"),
    ("article list", "/articles/", 200, None),
    ("article", f"/articles/{ARTICLE}/", 200, "article"),
    ("event list", "/events/", 200, "events-timeline"),
    ("event", "/events/haftar-declares-victory-in-benghazi-2017-07-05/", 200, "event"),
    ("actor list", "/actors/", 200, None),
    ("actor", "/actors/khalifa-haftar/", 200, "actor"),
    ("place", "/places/benghazi/", 200, None),
    ("tag list", "/tags/", 200, None),
    ("tag", "/tags/benghazi/", 200, None),
    ("search results", "/search/?q=Sarraj", 200, None),
    ("not found", "/articles/no-such-article/", 404, None),
]


class AxeFinding(UserWarning):
    """A violation axe-core reports that does not fail the run: minor or moderate, or in Django's own admin."""


def report(found: dict[str, list[dict]], where: str) -> None:
    """What axe found, whatever its impact, as warnings: the run's summary keeps the record, with or without -n."""
    for name, violations in found.items():
        if violations:
            findings = "; ".join(
                f"{v['id']} ({v['impact']}, {v['count']}×: {', '.join(v['nodes'][:3])})" for v in violations
            )
            warnings.warn(f"axe, {where} {name}: {findings}", AxeFinding, stacklevel=2)


def test_public_pages_have_no_serious_or_critical_accessibility_violations(sample_site, page):
    found = {}

    def check(name, path, status, shot=None):
        response = page.goto(path)
        assert response.status == status, path
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if shot:
            screenshot(page, shot)
        found[name] = axe_violations(page)

    for name, path, status, shot in PUBLIC_PAGES:
        check(name, path, status, shot)

    # Last, as it takes an article away from the other pages: the tombstone.
    publisher = make_staff("publisher", "Publishers")
    article = Article.objects.get(slug=WITHDRAWN)
    workflow.withdraw(article=article, user=publisher, reason="The rights holder asked for it to be taken down.")
    check("tombstone", f"/articles/{WITHDRAWN}/", 410)

    report(found, "public")
    serious = {name: blocking(violations) for name, violations in found.items() if blocking(violations)}
    assert serious == {}, describe(serious)
    assert page.console_errors == [], "\n".join(page.console_errors)


# The parts of the admin screens that come from templates/admin/ here; the rest is Django's.
OUR_ADMIN_PARTS = "#suggestions, .workflow-row, #link-suggestion"


def test_admin_pages_an_editor_uses_are_checked_and_ours_have_no_serious_violations(sample_site, page):
    make_staff("editor", "Editors")
    article = Article.objects.get(slug="army-territorial-gains-haftar-russia")
    found, ours = {}, {}

    def check(name):
        found[name] = axe_violations(page)
        ours[name] = inside(page, blocking(found[name]), OUR_ADMIN_PARTS)

    page.goto("/admin/login/")
    check("login")
    sign_in(page, "editor")
    page.goto("/admin/articles/article/")
    expect(page.get_by_role("link", name=article.title)).to_be_visible()
    check("article changelist")
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    expect(page.locator("#suggestions")).to_be_visible()
    check("article change form")

    # Django's own admin markup is reported, not failed on: it is Django's to fix.
    report(found, "admin")
    ours = {name: violations for name, violations in ours.items() if violations}
    assert ours == {}, describe(ours)
