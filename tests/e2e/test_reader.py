"""A reader on the public site: following the cross-links, searching, and the keyboard alone."""

import re

import pytest

from tests.e2e.conftest import slug_path

expect = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed").expect


def test_reader_follows_links_from_home_to_tag_article_event_actor_and_another_article(sample_site, page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reporting on the conflict in Libya, 2016–2017")

    page.get_by_role("region", name="Most used tags").get_by_role("link", name=re.compile(r"^Benghazi\b")).click()
    expect(page).to_have_url(slug_path("tags", "benghazi"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Benghazi")

    first = "Libya weekly brief: fighting in Khribish, Kanna in Algiers, mayors in Brussels"
    page.get_by_role("link", name=first).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first)

    # The highlighted passage that reports the event is itself the link to it.
    passage = page.locator("mark.passage a", has_text="announcement of official victory in Benghazi")
    expect(passage).to_be_visible()
    passage.click()
    expect(page).to_have_url(slug_path("events", "haftar-declares-victory-in-benghazi-2017-07-05"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Khalifa Haftar declares victory in Benghazi")
    # ...and the event names its source, the article the reader came from.
    expect(page.get_by_role("region", name="Reported in").get_by_role("link", name=first)).to_be_visible()

    page.get_by_role("region", name="Actors").get_by_role("link", name="Khalifa Haftar").click()
    expect(page).to_have_url(slug_path("actors", "khalifa-haftar"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Khalifa Haftar")

    articles = page.get_by_role("region", name=re.compile(r"^Articles"))
    expect(articles.get_by_role("link", name=first)).to_be_visible()
    another = "Libya weekly brief: ISIS attack at al-Fugaha, Johnson meets Haftar, Paris talks on migration"
    articles.get_by_role("link", name=another).click()
    expect(page).to_have_url(slug_path("articles", "weekly-brief-isis-attack-al-fugaha-johnson-haftar-paris"))
    expect(page.get_by_role("heading", level=1)).to_have_text(another)
    expect(page.get_by_role("region", name="Actors").get_by_role("link", name="Khalifa Haftar")).to_be_visible()
    assert page.console_errors == []


def test_search_by_alias_spellings_finds_fayez_al_sarraj(sample_site, page):
    for spelling in ("Serraj", "al-Sarraj"):
        page.goto("/")
        page.get_by_role("searchbox", name="Search articles, events and actors").fill(spelling)
        page.get_by_role("search").get_by_role("button", name="Search").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Search")
        actor = page.get_by_role("region", name="Actors").get_by_role("link", name="Fayez al-Sarraj")
        expect(actor).to_be_visible()
        # Articles that spell him otherwise are found as well.
        expect(
            page.get_by_role("region", name="Articles").get_by_role(
                "link", name=re.compile("airstrikes south of Sirte, Serraj meets Sullivan")
            )
        ).to_be_visible()

    actor.click()
    expect(page).to_have_url(slug_path("actors", "fayez-al-sarraj"))
    expect(page.get_by_text("Also written:")).to_contain_text("al-Serraj")


def press_tab_until(page, predicate_js: str, *, limit: int = 150) -> None:
    """Tab forward until the focused element satisfies `predicate_js` (called with it), as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate_js}")


def focus_ring(page) -> dict:
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor};
        }"""
    )


def assert_focus_visible(page) -> None:
    ring = focus_ring(page)
    assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2, ring


def test_keyboard_alone_searches_and_follows_the_main_navigation(sample_site, page):
    page.goto("/")

    # The first Tab reaches the skip link, which shows itself and moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert_focus_visible(page)

    for name, path in (("Events", "/events/"), ("Actors", "/actors/"), ("Tags", "/tags/"), ("Articles", "/articles/")):
        press_tab_until(page, f"el.matches('nav[aria-label=Main] a') && el.textContent.trim() === '{name}'")
        assert_focus_visible(page)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"{path}$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=name)).to_have_attribute(
            "aria-current", "page"
        )

    press_tab_until(page, "el.id === 'site-search-q'")
    assert_focus_visible(page)
    page.keyboard.type("Sarraj")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=Sarraj$"))

    press_tab_until(page, "el.textContent.trim() === 'Fayez al-Sarraj'")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(slug_path("actors", "fayez-al-sarraj"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fayez al-Sarraj")
