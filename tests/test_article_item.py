"""
An article as every list shows it (the article_item tag): title and link, date
as precise as its source, publication, byline, snippet or standfirst, tags; every
value escaped.
"""

import datetime

import pytest
from django.template import Context, Template
from django.utils.safestring import mark_safe

from articles import cache
from articles.models import Article, ListedTag

from .conftest import make_article, make_publication

pytestmark = pytest.mark.django_db


def render(article, snippets=False) -> str:
    template = Template("{% load archive %}{% article_item article snippets=snippets %}")
    return template.render(Context({"article": article, "snippets": snippets}))


def listed(article) -> Article:
    return Article.objects.filter(pk=article.pk).for_listing().get()


def test_an_item_shows_its_title_date_publication_byline_standfirst_and_tags():
    article = make_article(
        permitted=True,
        title="Clashes in Ganfouda",
        byline="Our correspondent",
        standfirst="Heavy fighting overnight.",
        publication=make_publication(name="Libya Herald"),
        original_date=datetime.date(2017, 3, 4),
        tags=["Benghazi", "airstrikes"],
    )
    html = render(listed(article))
    assert f'<a href="{article.get_absolute_url()}">Clashes in Ganfouda</a>' in html
    assert '<time datetime="2017-03-04">4 March 2017</time> · Libya Herald · Our correspondent' in html
    assert '<p class="item__standfirst">Heavy fighting overnight.</p>' in html
    assert html.index(">airstrikes<") < html.index(">Benghazi<")
    assert html.startswith('<article class="item">') and html.endswith("</article>")


def test_an_item_says_no_more_than_its_source_and_leaves_out_what_is_missing():
    article = make_article(permitted=True, original_date=datetime.date(2016, 5, 1), original_date_precision="month")
    html = render(listed(article))
    assert '<time datetime="2016-05-01">May 2016</time>\n' in html
    assert " · " not in html and "item__standfirst" not in html and '<ul class="tags"' not in html


def test_search_shows_the_marked_snippet_in_place_of_the_standfirst():
    article = listed(make_article(permitted=True, standfirst="A standfirst."))
    article.snippet = mark_safe("near <mark>Sirte</mark>")
    assert '<p class="item__snippet">near <mark>Sirte</mark></p>' in render(article, snippets="Sirte")
    assert "item__snippet" not in render(article) and "A standfirst." in render(article)


def test_every_value_is_escaped():
    article = make_article(
        permitted=True,
        title="<script>alert(1)</script>",
        byline="<b>byline</b>",
        standfirst="<img src=x onerror=alert(1)>",
        publication=make_publication(name="<i>outlet</i>"),
    )
    item = listed(article)
    item.listed_tags = [ListedTag(1, "<svg onload=alert(1)>", "svg")]
    html = render(item)
    for raw in ("<script>", "<b>", "<img", "<i>", "<svg"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    plain = listed(article)
    plain.snippet = "<em>not marked safe</em>"
    assert "&lt;em&gt;" in render(plain, snippets=True)


def test_lists_show_a_renamed_or_new_tag_at_the_next_request(client, settings):
    from django.urls import reverse

    from register.models import Tag

    settings.ARCHIVE_PAGE_CACHE = False
    article = make_article(permitted=True, tags=["Benghazi"])
    url = reverse("articles:list")

    def shown():
        return [tag.name for tag in client.get(url).context["object_list"][0].listed_tags]

    assert shown() == ["Benghazi"]
    tag = Tag.objects.get(name="Benghazi")
    tag.name = "Banghazi"
    tag.save()
    assert shown() == ["Banghazi"]
    article.tags.add("Derna")
    assert sorted(shown()) == ["Banghazi", "Derna"]


def test_a_tag_newer_than_the_kept_names_is_read_on_its_own(monkeypatch):
    from articles import cache
    from articles.models import listed_tags
    from register.models import Tag

    tag = Tag.objects.create(name="Brega")
    monkeypatch.setattr(cache, "in_process", lambda name, part, build: {})  # kept before the tag was made
    assert listed_tags("default", {tag.pk}) == {tag.pk: ListedTag(tag.pk, "Brega", "brega")}


def test_a_listing_reads_each_articles_tags_with_its_row_in_one_query(django_assert_num_queries):
    from articles.models import listed_publications, listed_tags

    untagged = make_article(permitted=True)
    one = make_article(permitted=True, tags=["Derna"])
    many = make_article(permitted=True, tags=[f"Tag {n}" for n in range(12)])
    with cache.one_version():  # as in a request: the editorial version is read once
        listed_tags("default", set())  # the kept names, read once per editorial version
        listed_publications("default", set())
        with django_assert_num_queries(1):
            rows = {article.pk: article for article in Article.objects.public().for_listing()}
    for article in (untagged, one, many):
        expected = sorted(article.tags.values_list("pk", "name", "slug"))
        assert sorted(rows[article.pk].listed_tags) == expected


def test_page_url_is_the_pages_address_under_the_script_prefix():
    from django.urls import reverse, set_script_prefix

    from articles.templatetags.archive import page_url

    for name in ("articles:list", "articles:event-list", "articles:search", "feeds:articles"):
        assert page_url(name) == reverse(name)
    set_script_prefix("/archive/")
    try:
        assert page_url("articles:list") == reverse("articles:list") == "/archive/articles/"
    finally:
        set_script_prefix("/")
    assert page_url("articles:list") == "/articles/"


# The markup events were listed with when each was an included template (articles/_event_item.html).
EVENT_ITEM_TEMPLATE = (
    '{% load archive %}<li class="event-item">\n'
    '  <span class="event-item__date"><time datetime="{{ event.start_date|date:\'Y-m-d\' }}">'
    "{% precise_date event.start_date event.date_precision event.end_date %}</time></span>\n"
    '  <a class="event-item__title" href="{{ event.get_absolute_url }}">{{ event.title }}</a>\n'
    '  <span class="event-item__meta">{{ event.get_sub_event_type_display }}'
    "{% if event.place %} · {{ event.place.name }}{% endif %}"
    "{% if event.fatalities_low is not None or event.fatalities_high is not None %}"
    " · fatalities reported: {{ event.fatalities_display }}{% endif %}</span>\n"
    "</li>"
)


def test_an_event_item_is_the_markup_of_the_template_it_replaced():
    from .conftest import make_event, make_place

    place = make_place(name="Qasr <Bin> Ghashir")
    events = [
        make_event(title="Clashes & shelling", place=place, fatalities_low=3, fatalities_high=7),
        make_event(title="<script>alert(1)</script>", fatalities_low=0),
        make_event(
            title="Week of protests",
            date_precision="week",
            start_date=datetime.date(2017, 3, 6),
            end_date=datetime.date(2017, 3, 20),
            fatalities_high=2,
        ),
        make_event(title="A month", date_precision="month", start_date=datetime.date(2016, 5, 1)),
    ]
    old, new = Template(EVENT_ITEM_TEMPLATE), Template("{% load archive %}{% event_item event %}")
    for event in events:
        expected = old.render(Context({"event": event}))
        assert new.render(Context({"event": event})) == expected
    assert "&lt;script&gt;" in new.render(Context({"event": events[1]}))
    assert "Qasr &lt;Bin&gt; Ghashir" in new.render(Context({"event": events[0]}))


def test_select_options_are_the_markup_of_the_loop_they_replaced():
    loop = Template(
        "{% for value, label in choices %}"
        '<option value="{{ value }}"{% if selected == value %} selected{% endif %}>{{ label }}</option>'
        "{% endfor %}"
    )
    tag = Template("{% load archive %}{% select_options choices selected %}")
    choices = [("libya-herald", "Libya Herald"), ("a&b", "<b>A & B</b>"), ("", "Any")]
    for selected in ("", "a&b", "libya-herald", "missing", None):
        context = {"choices": choices, "selected": selected}
        assert tag.render(Context(context)) == loop.render(Context(context))
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in tag.render(Context({"choices": choices, "selected": ""}))
