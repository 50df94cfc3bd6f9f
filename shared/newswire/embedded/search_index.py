"""The search index in one SQLite file: FTS5 for full text (BM25), plain tables for the rest.

It mirrors the Elasticsearch mapping (`mappings/articles-v1.json`) closely enough that the API
answers the same questions the same way: the text fields (title, standfirst, body, caption,
related titles) go into an FTS5 table whose content is the `articles` table itself (external
content, so highlights and snippets can be cut from it); the keyword fields the API filters and
counts on (section, language, publication date, authors, entities with their surface forms) are
columns and side tables with indexes, lower-cased where the API matches without case. The whole
enriched article is kept as JSON, as Elasticsearch keeps `_source`. The text lives in a table of
its own, `article_content`, so that filters and facets scan narrow rows (on 100k articles,
reading past the text made every unselective filter take seconds).

Writes are upserts keyed by the article id inside one transaction per batch: a replayed message
replaces the article, its text row and its entity rows, so nothing is ever doubled. Tokenizing is
FTS5's `unicode61` (lower-cases, splits on non-alphanumerics, keeps accents) like Elasticsearch's
standard tokenizer; English stop words are left out of queries rather than the index (see the
API's embedded back-end, `newswire_api.search.embedded`, which holds the SQL of the searches).
"""

import sqlite3
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from newswire.embedded.sqlite import connect
from newswire.enriched import EnrichedArticle

SCHEMA_VERSION = 2
# The columns of the FTS5 table `articles_text`, in order: readers weigh and highlight them by
# position (the API's BM25 weights, `highlight(articles_text, 0, …)`).
TEXT_COLUMNS = ("title", "standfirst", "body", "image_caption", "related_titles")
# Paragraphs are stored joined by this, so snippets never run one paragraph into the next.
PARAGRAPH_SEPARATOR = "\n\n"

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    section TEXT,
    section_key TEXT,
    language_key TEXT,
    publication_date TEXT,
    date_sort INTEGER
);
CREATE INDEX IF NOT EXISTS articles_by_section ON articles (section_key);
CREATE INDEX IF NOT EXISTS articles_by_language ON articles (language_key);
CREATE INDEX IF NOT EXISTS articles_by_day ON articles (publication_date);
CREATE INDEX IF NOT EXISTS articles_by_date ON articles (date_sort, id);
CREATE TABLE IF NOT EXISTS article_content (
    rowid INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    standfirst TEXT,
    body TEXT NOT NULL,
    image_caption TEXT,
    related_titles TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS article_authors (
    article INTEGER NOT NULL,
    author_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS authors_by_key ON article_authors (author_key, article);
CREATE INDEX IF NOT EXISTS authors_by_article ON article_authors (article);
CREATE TABLE IF NOT EXISTS article_entities (
    article INTEGER NOT NULL,
    label TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_by_article ON article_entities (article, label, name);
CREATE INDEX IF NOT EXISTS entities_by_name ON article_entities (name, article);
CREATE TABLE IF NOT EXISTS entity_forms (
    article INTEGER NOT NULL,
    label TEXT NOT NULL,
    form_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS forms_by_key ON entity_forms (form_key, label, article);
CREATE INDEX IF NOT EXISTS forms_by_article ON entity_forms (article);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_text USING fts5 (
    title, standfirst, body, image_caption, related_titles,
    content = 'article_content', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_terms USING fts5vocab (articles_text, 'row');
"""


class SchemaVersionError(RuntimeError):
    """The file was written by a newer Newswire with another layout."""


def open_for_writing(path: Path) -> sqlite3.Connection:
    """A connection to the index file, creating the file and its schema if needed."""
    connection = connect(path)
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        connection.execute("BEGIN IMMEDIATE")
        try:
            if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    elif version != SCHEMA_VERSION:
        connection.close()
        raise SchemaVersionError(f"{path} has index schema {version}, not {SCHEMA_VERSION}")
    return connection


def is_initialised(connection: sqlite3.Connection) -> bool:
    return bool(connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION)


def epoch_ms(day: date) -> int:
    """Milliseconds since the epoch at midnight UTC: the value Elasticsearch sorts a date by, so
    cursors look alike on both back-ends."""
    return (day - date(1970, 1, 1)).days * 86_400_000


def upsert_articles(
    connection: sqlite3.Connection, articles: Iterable[tuple[EnrichedArticle, str]]
) -> int:
    """Write each (article, its JSON) replacing any article with the same id; the caller holds
    the transaction. Returns how many were written."""
    written = 0
    for article, source in articles:
        _delete(connection, article.id)
        cursor = connection.execute(
            "INSERT INTO articles (id, section, section_key, language_key, publication_date, "
            "date_sort) VALUES (?, ?, ?, ?, ?, ?)",
            (
                article.id,
                article.section,
                article.section.casefold() if article.section else None,
                article.language.casefold() if article.language else None,
                article.publication_date.isoformat() if article.publication_date else None,
                epoch_ms(article.publication_date) if article.publication_date else None,
            ),
        )
        rowid = cursor.lastrowid
        text = _text_columns(article)
        connection.execute(
            "INSERT INTO article_content VALUES (?, ?, ?, ?, ?, ?, ?)", (rowid, *text, source)
        )
        connection.execute(
            "INSERT INTO articles_text (rowid, title, standfirst, body, image_caption, "
            "related_titles) VALUES (?, ?, ?, ?, ?, ?)",
            (rowid, *text),
        )
        connection.executemany(
            "INSERT INTO article_authors VALUES (?, ?)",
            [(rowid, author.casefold()) for author in dict.fromkeys(article.authors)],
        )
        connection.executemany(
            "INSERT INTO article_entities VALUES (?, ?, ?)",
            [(rowid, entity.label, entity.name) for entity in article.entities],
        )
        connection.executemany(
            "INSERT INTO entity_forms VALUES (?, ?, ?)",
            [
                (rowid, entity.label, form)
                for entity in article.entities
                for form in {entity.name.casefold(), *(f.casefold() for f in entity.surface_forms)}
            ],
        )
        written += 1
    return written


def _text_columns(article: EnrichedArticle) -> tuple[str | None, ...]:
    return (
        article.title,
        article.standfirst,
        PARAGRAPH_SEPARATOR.join(article.body),
        article.image_caption,
        PARAGRAPH_SEPARATOR.join(article.related_titles),
    )


def _delete(connection: sqlite3.Connection, article_id: str) -> None:
    row = connection.execute(
        "SELECT c.rowid, c.title, c.standfirst, c.body, c.image_caption, c.related_titles "
        "FROM articles a JOIN article_content c ON c.rowid = a.rowid WHERE a.id = ?",
        (article_id,),
    ).fetchone()
    if row is None:
        return
    rowid = row[0]
    # An external-content FTS5 table forgets a row only when told the text it indexed.
    connection.execute(
        "INSERT INTO articles_text (articles_text, rowid, title, standfirst, body, "
        "image_caption, related_titles) VALUES ('delete', ?, ?, ?, ?, ?, ?)",
        row,
    )
    for table in ("article_authors", "article_entities", "entity_forms"):
        connection.execute(f"DELETE FROM {table} WHERE article = ?", (rowid,))
    connection.execute("DELETE FROM article_content WHERE rowid = ?", (rowid,))
    connection.execute("DELETE FROM articles WHERE rowid = ?", (rowid,))
