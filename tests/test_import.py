import datetime
import hashlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from articles.fixity import check_fixity
from articles.importer import ImportFailed, import_articles, load_register, parse_article_file
from articles.models import Article, ArticleEvent, ProvenanceActivity, Status
from register.models import Event

from .conftest import make_actor, make_place, make_publication

pytestmark = pytest.mark.django_db

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"

GOOD = """+++
title = "Army makes new territorial gains"
publication = "Libya Channel"
byline = "Libya Channel staff"
original_url = "https://example.org/gains"
original_date = 2016-11-29
date_precision = "month"
standfirst = "The army takes Ganfuda."
status = "published"
tags = ["Benghazi", "benghazi", "Ganfuda"]
actors = ["Haftar"]
places = ["ganfuda"]

[permission]
rights_holder = "Libya Channel"
granted_on = 2017-01-10
evidence = "Message from the editor, 10 January 2017."
evidence_kind = "message"
attribution = "Republished with permission from Libya Channel."

[[provenance]]
activity = "first_published"
agent = "Libya Channel"
publication = "libya-channel"
date = 2016-11-29

[[events]]
title = "Army captures the customs headquarters in Ganfuda"
slug = "ganfuda-customs-2016-11"
type = "battles"
sub_type = "government_regains_territory"
start = 2016-11-01
end = 2016-11-30
precision = "month"
place = "Ganfuda"
fatalities_low = 0
participants = [{ actor = "khalifa-haftar", side = "actor_1", role = "initiator" }]
excerpt = "They have also captured the customs headquarters"
+++
The Libyan Army has seized new territory in Benghazi.

They have also captured the customs headquarters in the nearby district of Ganfuda.
"""


def table_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def register(db):
    make_publication(name="Libya Channel", slug="libya-channel")
    make_actor(name="Khalifa Haftar", slug="khalifa-haftar", aliases=["Haftar", "General Haftar"])
    make_place(name="Ganfuda", slug="ganfuda")


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_import_creates_the_article_with_its_provenance_permission_tags_and_links(register, tmp_path):
    report = import_articles(paths=[str(write(tmp_path, "gains.md", GOOD))])
    article = report.created[0]
    assert article.status == Status.PUBLISHED
    assert article.publication.name == "Libya Channel"
    assert article.original_date == datetime.date(2016, 11, 29)
    assert article.original_date_precision == "month"
    assert list(article.tags.names()) == ["Benghazi", "Ganfuda"]
    assert [a.slug for a in article.actors.all()] == ["khalifa-haftar"]
    assert [p.slug for p in article.places.all()] == ["ganfuda"]
    assert [r.activity for r in article.provenance.all()] == ["first_published", "imported"]
    imported = article.provenance.get(activity=ProvenanceActivity.IMPORTED)
    assert imported.sha256 == hashlib.sha256(article.body.encode()).hexdigest()
    assert imported.file_name == "gains.md"
    link = ArticleEvent.objects.get(article=article)
    assert link.event.slug == "ganfuda-customs-2016-11"
    assert link.paragraph == 2
    assert link.event.participants.get().role == "initiator"
    assert list(Article.objects.public()) == [article]
    assert article.current_permission().attribution == "Republished with permission from Libya Channel."


def test_reimporting_the_same_text_changes_nothing(register, tmp_path):
    path = write(tmp_path, "gains.md", GOOD)
    import_articles(paths=[str(path)])
    before = table_counts()
    report = import_articles(paths=[str(path)])
    assert report.created == []
    assert len(report.skipped) == 1
    assert table_counts() == before


def test_the_same_text_twice_in_one_run_is_imported_once(register, tmp_path):
    write(tmp_path, "a.txt", "Title line\n\nSome body text.\n")
    write(tmp_path, "b.txt", "Title line\r\n\r\nSome body text.")
    report = import_articles(paths=[str(tmp_path)])
    assert len(report.created) == 1
    assert len(report.skipped) == 1


def test_a_batch_with_one_bad_file_leaves_every_table_as_it_was(register, tmp_path):
    write(tmp_path, "1-good.md", GOOD)
    bad = GOOD.replace('publication = "Libya Channel"', 'publication = "Nowhere News"')
    write(tmp_path, "2-bad.md", bad.replace("seized new territory", "seized more territory"))
    before = table_counts()
    with pytest.raises(ImportFailed) as failure:
        import_articles(paths=[str(tmp_path)])
    assert table_counts() == before
    [problem] = failure.value.problems
    assert problem.path.endswith("2-bad.md")
    assert problem.line == 3
    assert "unknown publication 'Nowhere News'" in problem.message


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"Fine first line\n\nthen \xff\xfe bytes", 3, "not valid UTF-8"),
        ('+++\ntitle = "A"\ntags = [\n+++\nBody.\n', 4, "not valid TOML"),
        ('+++\ntitle = "A"\nBody.\n', 1, "never closed"),
        ('+++\ntitle = "A"\n+++\n\n   \n', 4, "no body text"),
        ('+++\ntitle = "A"\npublication = "Nowhere"\n+++\nBody.\n', 3, "unknown publication"),
        ('+++\ntitle = "A"\nactors = ["Nobody at all"]\n+++\nBody.\n', 3, "unknown actor"),
        ('+++\ntitle = "A"\noriginal_date = "last week"\n+++\nBody.\n', 3, "must be a date"),
        ('+++\ntitle = "A"\ntitel = "typo"\n+++\nBody.\n', 2, "unknown key in the front matter: titel"),
        ('+++\ntitle = "A"\noriginal_url = "javascript:alert(1)"\n+++\nBody.\n', 3, "not a valid http(s) URL"),
        ('+++\ntitle = "A"\nstatus = "published"\n+++\nBody.\n', 3, "no valid republication permission"),
        ('+++\ntitle = "A"\ntags = ["' + "x" * 101 + '"]\n+++\nBody.\n', 3, "longer than 100"),
        ('+++\ntitle = "A"\nperiod_start = 2017-07-16\nperiod_end = 2017-07-10\n+++\nBody.\n', 4, "before"),
    ],
)
def test_a_bad_file_is_named_with_its_line_and_reason_and_nothing_changes(register, tmp_path, content, line, message):
    write(tmp_path, "bad.md", content)
    before = table_counts()
    with pytest.raises(ImportFailed) as failure:
        import_articles(paths=[str(tmp_path / "bad.md")])
    problem = failure.value.problems[0]
    assert problem.path.endswith("bad.md")
    assert problem.line == line
    assert message in problem.message
    assert table_counts() == before


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ('event = "no-such-event"\nexcerpt = "Body."', "unknown event"),
        ('event = "x"\ntitle = "y"\nexcerpt = "Body."', "either links"),
        (
            'title = "T"\ntype = "battles"\nsub_type = "air_drone_strike"\nstart = 2017-01-01\nexcerpt = "Body."',
            "does not belong to type",
        ),
        (
            'title = "T"\ntype = "battles"\nsub_type = "armed_clash"\nstart = 2017-01-02\nend = 2017-01-01\n'
            'excerpt = "Body."',
            "before start",
        ),
        (
            'title = "T"\ntype = "battles"\nsub_type = "armed_clash"\nstart = 2017-01-01\nfatalities_low = 5\n'
            'fatalities_high = 2\nexcerpt = "Body."',
            "above fatalities_high",
        ),
        (
            'title = "T"\ntype = "battles"\nsub_type = "armed_clash"\nstart = 2017-01-01\nexcerpt = "Not in the text"',
            "not a passage of the article",
        ),
    ],
)
def test_bad_event_links_are_refused_with_their_line(register, tmp_path, event, message):
    write(tmp_path, "bad.md", f'+++\ntitle = "A"\n\n[[events]]\n{event}\n+++\nBody.\n')
    with pytest.raises(ImportFailed) as failure:
        import_articles(paths=[str(tmp_path / "bad.md")])
    problem = failure.value.problems[0]
    assert message in problem.message
    assert problem.line == 4
    assert not Event.objects.exists()


def test_every_bad_file_of_a_run_is_reported_not_only_the_first(register, tmp_path):
    write(tmp_path, "a.md", b"\xff")
    write(tmp_path, "b.md", '+++\ntitle = "B"\npublication = "Nowhere"\n+++\nBody.\n')
    with pytest.raises(ImportFailed) as failure:
        import_articles(paths=[str(tmp_path)])
    assert sorted(Path(p.path).name for p in failure.value.problems) == ["a.md", "b.md"]


def test_dry_run_reports_what_would_be_imported_and_writes_nothing(register, tmp_path):
    before = table_counts()
    report = import_articles(paths=[str(write(tmp_path, "gains.md", GOOD))], dry_run=True)
    assert [a.title for a in report.created] == ["Army makes new territorial gains"]
    assert report.events_created == 1
    assert table_counts() == before


def test_a_raw_file_without_front_matter_becomes_a_draft_listing_what_is_missing(db, tmp_path):
    path = write(tmp_path, "raw.txt", "Army makes new territorial gains\n\nLibya Channel\n\nThe army moved.\n")
    report = import_articles(paths=[str(path)])
    article = report.created[0]
    assert article.status == Status.DRAFT
    assert article.title == "Army makes new territorial gains"
    assert report.drafts_missing == [
        (article, ["publication", "byline", "original URL", "original date", "standfirst", "republication permission"])
    ]


def test_the_raw_seeds_import_as_drafts_and_a_second_run_changes_nothing(db):
    report = import_articles(paths=[str(SEEDS)])
    assert len(report.created) == 5
    assert {a.status for a in report.created} == {Status.DRAFT}
    assert not Article.objects.public().exists()
    before = table_counts()
    assert len(import_articles(paths=[str(SEEDS)]).skipped) == 5
    assert table_counts() == before


def test_the_command_exits_non_zero_naming_the_bad_file(db, tmp_path, capsys):
    write(tmp_path, "bad.md", '+++\ntitle = "A"\npublication = "Nowhere"\n+++\nBody.\n')
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_articles", str(tmp_path / "bad.md"))
    assert "bad.md:3: unknown publication 'Nowhere'" in capsys.readouterr().err


def test_the_command_reports_drafts_and_their_missing_fields(db, tmp_path, capsys):
    write(tmp_path, "raw.txt", "A title\n\nThe body.\n")
    call_command("import_articles", str(tmp_path))
    out = capsys.readouterr().out
    assert "imported: a-title (draft)" in out
    assert "draft a-title still needs: publication, byline" in out


def test_parse_keeps_the_body_text_and_digests_the_file():
    data = b'+++\ntitle = "A"\n+++\r\n\nFirst.  \r\n\r\nSecond.\n\n'
    parsed = parse_article_file("x.md", data)
    assert parsed.body == "First.\n\nSecond."
    assert parsed.file_sha256 == hashlib.sha256(data).hexdigest()


def test_fixity_finds_exactly_the_article_whose_text_changed_behind_the_archive(register, tmp_path):
    for n in range(3):
        write(tmp_path, f"{n}.txt", f"Title {n}\n\nBody number {n}.\n")
    import_articles(paths=[str(tmp_path)])
    assert check_fixity().findings == []
    victim = Article.objects.order_by("pk")[1]
    flipped = victim.body.replace("Body", "Bodx", 1)
    Article.objects.filter(pk=victim.pk).update(body=flipped)
    result = check_fixity()
    assert [(a.pk, actual) for a, _, actual in result.mismatches] == [
        (victim.pk, hashlib.sha256(flipped.encode()).hexdigest())
    ]
    with pytest.raises(CommandError, match="Fixity check failed"):
        call_command("verify_fixity")


def test_load_register_is_idempotent_and_all_or_nothing(db, tmp_path):
    path = write(
        tmp_path,
        "register.toml",
        """
[[publications]]
name = "Libya-Analysis"
slug = "libya-analysis"

[[actors]]
name = "Libyan National Army"
slug = "libyan-national-army"
kind = "state_force"
aliases = ["LNA", "Libyan Army"]

[[actors]]
name = "Khalifa Haftar"
slug = "khalifa-haftar"
kind = "person"
aliases = ["Haftar", "Khalifa Haftar"]
affiliations = [{ organisation = "LNA", role = "commander", start = 2014-05-01, precision = "month" }]

[[places]]
name = "Libya"
slug = "libya"
kind = "country"

[[places]]
name = "Benghazi"
slug = "benghazi"
kind = "city"
parent = "libya"
latitude = 32.1167
longitude = 20.0667
""",
    )
    load_register(path=str(path))
    load_register(path=str(path))
    counts = table_counts()
    assert counts["register.Actor"] == 2
    assert counts["register.ActorAlias"] == 3
    assert counts["register.Affiliation"] == 1
    assert counts["register.Place"] == 2

    bad = write(tmp_path, "bad.toml", path.read_text() + '\n[[places]]\nname = "Sabri"\nparent = "nowhere"\n')
    with pytest.raises(ImportFailed) as failure:
        load_register(path=str(bad))
    assert "unknown place 'nowhere'" in failure.value.problems[0].message
    last_places_header = bad.read_text().splitlines().index("[[places]]", 30) + 1
    assert failure.value.problems[0].line == last_places_header
    assert table_counts() == counts


def test_every_row_an_import_writes_has_a_history_record_naming_the_importer(register, tmp_path, django_user_model):
    from articles.models import ArticleActor, ArticlePlace, ProvenanceRecord, RepublicationPermission, TaggedArticle

    importer = django_user_model.objects.create_superuser("importer", password="x")
    article = import_articles(paths=[str(write(tmp_path, "gains.md", GOOD))], user=importer).created[0]
    rows = [
        (Article, Article.objects.filter(pk=article.pk)),
        (ProvenanceRecord, article.provenance.all()),
        (RepublicationPermission, article.permissions.all()),
        (ArticleActor, article.actor_links.all()),
        (ArticlePlace, article.place_links.all()),
        (ArticleEvent, article.event_links.all()),
        (TaggedArticle, article.tag_links.all()),
        (Event, Event.objects.all()),
    ]
    for model, queryset in rows:
        assert queryset.exists(), model
        for obj in queryset:
            [record] = obj.history.all()
            assert record.history_type == "+"
            assert record.history_user == importer, model
