"""
The stored full-text index of articles, one per database.

PostgreSQL: a generated column holding the weighted document of
articles.search (title A, standfirst B, body C) with a GIN index on it. Matching
and ranking read the stored vector rather than parsing every body again for
each search.

SQLite: an FTS5 table over the same three columns, its content read from
articles_article and kept in step by triggers, so that bulk inserts (the
synthetic archive), raw deletes and updates are indexed without the ORM.

Migration 0005 creates both; ensure_index() (after every migrate) puts the
SQLite triggers back if a migration that rebuilt articles_article dropped them.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

COLUMN = "search_document"
PG_INDEX = "article_search_document_gin"
PG_DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(standfirst, '')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'C'))"
)

FTS_TABLE = "article_search"
FTS_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_search USING fts5(title, standfirst, body,"
    " content='articles_article', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
)
FTS_REBUILD = "INSERT INTO article_search(article_search) VALUES ('rebuild')"
FTS_TRIGGERS = {
    "article_search_insert": (
        "CREATE TRIGGER IF NOT EXISTS article_search_insert AFTER INSERT ON articles_article BEGIN"
        " INSERT INTO article_search(rowid, title, standfirst, body)"
        " VALUES (new.id, new.title, new.standfirst, new.body);"
        " END"
    ),
    "article_search_delete": (
        "CREATE TRIGGER IF NOT EXISTS article_search_delete AFTER DELETE ON articles_article BEGIN"
        " INSERT INTO article_search(article_search, rowid, title, standfirst, body)"
        " VALUES ('delete', old.id, old.title, old.standfirst, old.body);"
        " END"
    ),
    "article_search_update": (
        "CREATE TRIGGER IF NOT EXISTS article_search_update AFTER UPDATE OF title, standfirst, body"
        " ON articles_article BEGIN"
        " INSERT INTO article_search(article_search, rowid, title, standfirst, body)"
        " VALUES ('delete', old.id, old.title, old.standfirst, old.body);"
        " INSERT INTO article_search(rowid, title, standfirst, body)"
        " VALUES (new.id, new.title, new.standfirst, new.body);"
        " END"
    ),
}


def create(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"ALTER TABLE articles_article ADD COLUMN IF NOT EXISTS {COLUMN} tsvector"
                f" GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED"
            )
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON articles_article USING GIN ({COLUMN})")
        elif connection.vendor == "sqlite":
            # Porter stemming, as PostgreSQL's english configuration: "airstrike" finds "airstrikes".
            cursor.execute(FTS_CREATE)
            for statement in FTS_TRIGGERS.values():
                cursor.execute(statement)
            cursor.execute(FTS_REBUILD)


def drop(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
            cursor.execute(f"ALTER TABLE articles_article DROP COLUMN IF EXISTS {COLUMN}")
        elif connection.vendor == "sqlite":
            for name in FTS_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS article_search")


def ensure_index(using: str = "default", **kwargs) -> None:
    """
    On SQLite, rebuilding articles_article (as some schema changes do) drops its
    triggers with the old table: recreate them and reindex every article.
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE %s", [f"{FTS_TABLE}%"]
        )
        present = {row[0] for row in cursor.fetchall()}
        if FTS_TABLE not in present or set(FTS_TRIGGERS) <= present:
            return
        for statement in FTS_TRIGGERS.values():
            cursor.execute(statement)
        cursor.execute(FTS_REBUILD)
