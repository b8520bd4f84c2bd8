"""
An editor annotates a draft and submits it; a publisher records the permission
and publishes; a reader sees it; the publisher withdraws it; the reader finds
the tombstone. Everything is done in the browser, as each of them would.
"""

import re

import pytest

from articles.models import Article, ArticleActor, ArticleEvent, Status
from tests.e2e.conftest import make_staff, screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed").expect

SLUG = "army-territorial-gains-haftar-russia"
TITLE = "Army makes new territorial gains as Khalifa Haftar reaches out to Russia"
EVENT = "Khalifa Haftar's talks in Russia on weapons and support"
EXCERPT = "divisive Army chief General Khalifa Haftar flew to Russia to seek Moscow’s support in the ongoing conflict."
ATTRIBUTION = "Republished with the permission of Libya Channel."
REASON = "Libya Channel asked us to take the article down."


@pytest.fixture
def draft(sample_site):
    """The Libya Channel draft before its annotation was finished: one actor and one event not linked yet."""
    article = Article.objects.get(slug=SLUG)
    ArticleActor.objects.filter(article=article, actor__slug="jamal-al-zahawi").delete()
    ArticleEvent.objects.filter(article=article, event__slug="haftar-talks-in-russia-2016").delete()
    assert article.status == Status.DRAFT
    return article


def messages(page):
    return page.locator("ul.messagelist")


def open_from_changelist(page) -> None:
    page.goto("/admin/articles/article/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Change article"))).to_be_visible()


def choose_autocomplete(page, container, text: str) -> None:
    """Pick `text` in an admin autocomplete (select2) field, typing part of it as an editor does."""
    container.locator(".select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(text.split("'")[0])
    page.locator(".select2-results__option", has_text=text).click()
    expect(container.locator(".select2-selection__rendered")).to_contain_text(text)


def test_editor_annotates_and_submits_publisher_publishes_and_withdraws_reader_follows(draft, new_page):
    make_staff("editor", "Editors")
    make_staff("publisher", "Publishers")

    # The editor -----------------------------------------------------------
    editor = new_page()
    sign_in(editor, "editor")
    open_from_changelist(editor)

    help_panel = editor.locator("#suggestions")
    suggestion = help_panel.locator("li", has=editor.get_by_text("Jamal al-Zahawi", exact=True))
    expect(suggestion).to_be_visible()
    expect(help_panel.locator("mark.mention-unlinked", has_text="Jamal al-Zahawi")).to_be_visible()
    screenshot(help_panel, "admin-annotation")
    suggestion.get_by_role("button", name="Link").click()
    expect(messages(editor)).to_contain_text("Linked Jamal al-Zahawi to this article.")
    expect(help_panel.locator("mark.mention-linked", has_text="Jamal al-Zahawi")).to_be_visible()

    # Where it came from, which publication needs before it can go out.
    editor.get_by_label("Byline").fill("Libya Channel")
    editor.get_by_label("Original url").fill(f"https://libyachannel.example/en/{SLUG}/")

    events = editor.locator("#event_links-group")
    events.get_by_role("button", name="Add another Event report").click()
    new_report = events.locator(".dynamic-event_links").last
    choose_autocomplete(editor, new_report, EVENT)
    new_report.get_by_label("Paragraph").fill("8")
    new_report.get_by_label("Excerpt").fill(EXCERPT)

    editor.get_by_role("button", name="Save and submit for review").click()
    expect(messages(editor)).to_contain_text("1 article submitted for review.")
    expect(editor.locator(".field-status .readonly")).to_have_text("in review")
    assert editor.get_by_role("button", name="Save and publish").count() == 0

    link = ArticleEvent.objects.get(article=draft, event__slug="haftar-talks-in-russia-2016")
    assert (link.excerpt, link.paragraph) == (EXCERPT, 8)
    assert ArticleActor.objects.filter(article=draft, actor__slug="jamal-al-zahawi").exists()

    # The reader cannot see it yet.
    reader = new_page()
    response = reader.goto(f"/articles/{SLUG}/")
    assert response.status == 404

    # The publisher --------------------------------------------------------
    publisher = new_page()
    sign_in(publisher, "publisher")
    open_from_changelist(publisher)
    permissions = publisher.locator("#permissions-group")
    permissions.get_by_role("button", name="Add another Republication permission").click()
    grant = permissions.locator(".dynamic-permissions").last
    grant.get_by_label("Rights holder").fill("Libya Channel")
    grant.get_by_label("Granted on").fill("2017-11-30")
    evidence = "Written permission from Libya Channel's editor, 30 November 2017."
    grant.get_by_label(re.compile(r"^Evidence:?$")).fill(evidence)
    grant.get_by_label("Attribution").fill(ATTRIBUTION)
    publisher.get_by_role("button", name="Save and publish").click()
    expect(messages(publisher)).to_contain_text("1 article published.")
    expect(publisher.locator(".field-status .readonly")).to_have_text("published")

    # The reader sees it, with the attribution and the new annotations.
    response = reader.goto(f"/articles/{SLUG}/")
    assert response.status == 200
    expect(reader.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(reader.get_by_text(ATTRIBUTION)).to_be_visible()
    expect(reader.get_by_role("region", name="Actors").get_by_role("link", name="Jamal al-Zahawi")).to_be_visible()
    passage = reader.locator("mark.passage a", has_text="flew to Russia to seek Moscow’s support")
    expect(passage).to_have_attribute("href", "/events/haftar-talks-in-russia-2016/")

    # The publisher withdraws it, giving the reason readers will read.
    publisher.get_by_role("link", name="Withdraw…").click()
    publisher.get_by_label("Reason").fill(REASON)
    publisher.get_by_role("button", name="Withdraw").click()
    expect(messages(publisher)).to_contain_text("1 article withdrawn.")

    response = reader.goto(f"/articles/{SLUG}/")
    assert response.status == 410
    expect(reader.get_by_role("heading", level=1)).to_have_text("This article has been withdrawn")
    # The reason is given with the date, and again in the provenance chain.
    expect(reader.get_by_role("definition").filter(has_text=REASON)).to_be_visible()
    expect(reader.get_by_text("flew to Russia to seek Moscow’s support")).to_have_count(0)
    for page in (editor, publisher, reader):
        assert page.console_errors == [], "\n".join([page.url, *page.console_errors])
