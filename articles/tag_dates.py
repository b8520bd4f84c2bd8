"""
Each article tag link carries its article's date (TaggedArticle.dated), kept by
the database: triggers copy it when a link is written and when an article is
written or its date changes, so bulk inserts (the synthetic archive, imports),
taggit's own writes and raw updates all keep it without the ORM.

With the index on (tag, dated, article), the newest articles carrying a tag are
the first entries of that tag's index: a tag list reads a page's worth of links
whether the tag is on fifty articles or on half a million, where joining
through the article's own date would read every link of the tag first.

Migration 0007 creates the triggers; ensure_triggers() (after every migrate)
puts the SQLite ones back if a migration rebuilt one of the two tables.
"""

from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

from archive.copied_columns import CopiedColumn

BACKFILL = {
    "postgresql": (
        "UPDATE articles_taggedarticle AS link SET dated = article.dated FROM articles_article AS article"
        " WHERE article.id = link.content_object_id AND link.dated IS DISTINCT FROM article.dated"
    ),
    "sqlite": (
        "UPDATE articles_taggedarticle SET dated ="
        " (SELECT dated FROM articles_article WHERE articles_article.id = articles_taggedarticle.content_object_id)"
    ),
}

PG_CREATE = [
    """
    CREATE OR REPLACE FUNCTION tagged_article_dated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.dated := (SELECT dated FROM articles_article WHERE id = NEW.content_object_id);
        RETURN NEW;
    END $$
    """,
    "DROP TRIGGER IF EXISTS tagged_article_dated ON articles_taggedarticle",
    "CREATE TRIGGER tagged_article_dated BEFORE INSERT OR UPDATE ON articles_taggedarticle"
    " FOR EACH ROW EXECUTE FUNCTION tagged_article_dated()",
    """
    CREATE OR REPLACE FUNCTION article_dated_to_tags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE articles_taggedarticle SET dated = NEW.dated
        WHERE content_object_id = NEW.id AND dated IS DISTINCT FROM NEW.dated;
        RETURN NULL;
    END $$
    """,
    "DROP TRIGGER IF EXISTS article_dated_to_tags ON articles_article",
    "CREATE TRIGGER article_dated_to_tags AFTER INSERT OR UPDATE OF dated ON articles_article"
    " FOR EACH ROW EXECUTE FUNCTION article_dated_to_tags()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS tagged_article_dated ON articles_taggedarticle",
    "DROP TRIGGER IF EXISTS article_dated_to_tags ON articles_article",
    "DROP FUNCTION IF EXISTS tagged_article_dated()",
    "DROP FUNCTION IF EXISTS article_dated_to_tags()",
]

_SQLITE_COPY = (
    " UPDATE articles_taggedarticle SET dated = (SELECT dated FROM articles_article WHERE id = new.content_object_id)"
    " WHERE id = new.id;"
)
SQLITE_TRIGGERS = {
    "tagged_article_dated_insert": (
        "CREATE TRIGGER IF NOT EXISTS tagged_article_dated_insert AFTER INSERT ON articles_taggedarticle BEGIN"
        + _SQLITE_COPY
        + " END"
    ),
    # Not recursive: SQLite runs no trigger from a trigger's own UPDATE unless recursive_triggers is on.
    "tagged_article_dated_update": (
        "CREATE TRIGGER IF NOT EXISTS tagged_article_dated_update AFTER UPDATE ON articles_taggedarticle BEGIN"
        + _SQLITE_COPY
        + " END"
    ),
    "article_dated_to_tags_insert": (
        "CREATE TRIGGER IF NOT EXISTS article_dated_to_tags_insert AFTER INSERT ON articles_article BEGIN"
        " UPDATE articles_taggedarticle SET dated = new.dated WHERE content_object_id = new.id;"
        " END"
    ),
    "article_dated_to_tags_update": (
        "CREATE TRIGGER IF NOT EXISTS article_dated_to_tags_update AFTER UPDATE OF dated ON articles_article BEGIN"
        " UPDATE articles_taggedarticle SET dated = new.dated WHERE content_object_id = new.id;"
        " END"
    ),
}


COPY = CopiedColumn(
    table="articles_taggedarticle",
    column="dated",
    pg_create=tuple(PG_CREATE),
    pg_drop=tuple(PG_DROP),
    sqlite_triggers=SQLITE_TRIGGERS,
    backfill=BACKFILL,
)
create = COPY.create
drop = COPY.drop
# After every migrate (articles.apps): SQLite drops a rebuilt table's triggers.
ensure_triggers = COPY.ensure_triggers


@contextmanager
def suspended(connection: BaseDatabaseWrapper):
    """
    Inside a transaction, for a bulk load that writes every link's date itself: the
    triggers are dropped and created again (without a backfill) when the block ends,
    and a failure rolls both back. Run for every row, they would cost a lookup per
    link and an empty UPDATE per article of the load.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("the triggers can only be suspended inside a transaction")
    drop(connection)
    yield
    create(connection, backfill=False)
