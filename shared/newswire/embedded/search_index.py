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

Entities are also kept as integer ids (`entity_names`, one row per label and name with the
number of articles mentioning it, and `article_entity_ids`, clustered by article), so that the
search API counts a first page's entity facets by grouping integers, and reads the counts over
every article straight from `entity_names.articles` (on 100k articles, grouping the names as text
took seconds).

Schema 4 keeps stories (issue 16): `stories` holds each story's state as the indexer folded it
(`newswire.enriched.Story`, JSON: its current version, history, tombstone), keyed by story id,
with `claim`, the content it lists. The searchable rows (`articles` and its side tables) are
**listings**, one per content (`content_sha256`, unique): the story ranked first among those
claiming that content (exact duplicates are listed once), with its id as `id`, and
`visible_from` (epoch milliseconds: 0, or the end of an embargo), which every read compares with
the time of the request. Killed, withheld and indefinitely embargoed stories claim nothing, so
they are not listed. The indexer decides all of it in one transaction per batch (see
`newswire_indexer.embedded_writer`); this module only reads and writes the rows. An index of
schema 2 or 3 (articles keyed by content, schema-version-1 JSON) is made schema 4 by keeping the
old articles' JSON in `legacy_articles`, which the indexer then folds into stories as if they
arrived again, a chunk per transaction. Tokenizing is
FTS5's `unicode61` (lower-cases, splits on non-alphanumerics, keeps accents) like Elasticsearch's
standard tokenizer; English stop words are left out of queries rather than the index (see the
API's embedded back-end, `newswire_api.search.embedded`, which holds the SQL of the searches).
"""

import logging
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from newswire.embedded.sqlite import connect
from newswire.enriched import EnrichedArticle, Story

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
LEGACY_SCHEMAS = {2, 3}
# The columns of the FTS5 table `articles_text`, in order: readers weigh and highlight them by
# position (the API's BM25 weights, `highlight(articles_text, 0, …)`).
TEXT_COLUMNS = ("title", "standfirst", "body", "image_caption", "related_titles")
# Paragraphs are stored joined by this, so snippets never run one paragraph into the next.
PARAGRAPH_SEPARATOR = "\n\n"

SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY,
    claim TEXT,
    story TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stories_by_claim ON stories (claim) WHERE claim IS NOT NULL;
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    content_sha256 TEXT NOT NULL UNIQUE,
    visible_from INTEGER NOT NULL,
    updated TEXT,
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
CREATE INDEX IF NOT EXISTS articles_by_visibility ON articles (visible_from);
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
CREATE TABLE IF NOT EXISTS article_keys (
    article INTEGER NOT NULL,
    field TEXT NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_by_key ON article_keys (field, key, article);
CREATE INDEX IF NOT EXISTS keys_by_article ON article_keys (article);
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
CREATE TABLE IF NOT EXISTS entity_names (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    name TEXT NOT NULL,
    articles INTEGER NOT NULL DEFAULT 0,
    UNIQUE (label, name)
);
CREATE INDEX IF NOT EXISTS entity_names_by_articles ON entity_names (label, articles DESC, name);
CREATE TABLE IF NOT EXISTS article_entity_ids (
    article INTEGER NOT NULL,
    entity INTEGER NOT NULL,
    PRIMARY KEY (article, entity)
) WITHOUT ROWID;
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
    """A connection to the index file, creating the file and its schema if needed. An index of
    schema 2 or 3 becomes schema 4 with its articles' JSON kept in `legacy_articles`, for the
    indexer to fold into stories (`legacy_articles`, `forget_legacy_articles`)."""
    connection = connect(path)
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version == 0 or version in LEGACY_SCHEMAS:
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version in LEGACY_SCHEMAS:
                log.info(
                    "search index %s: schema %d to %d (stories)", path, version, SCHEMA_VERSION
                )
                _keep_legacy_articles(connection)
            if version == 0 or version in LEGACY_SCHEMAS:
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


_SCHEMA_3_TABLES = (
    "articles_terms",
    "articles_text",
    "article_authors",
    "article_keys",
    "article_entities",
    "entity_forms",
    "entity_names",
    "article_entity_ids",
    "articles",
)


def _keep_legacy_articles(connection: sqlite3.Connection) -> None:
    """Schema 2/3 → 4: the old articles' JSON is kept, every other table dropped."""
    connection.execute("CREATE TABLE legacy_articles (rowid INTEGER PRIMARY KEY, source TEXT)")
    connection.execute("INSERT INTO legacy_articles SELECT rowid, source FROM article_content")
    for table in _SCHEMA_3_TABLES:
        connection.execute(f"DROP TABLE IF EXISTS {table}")
    connection.execute("DROP TABLE article_content")


def legacy_articles(connection: sqlite3.Connection, limit: int) -> list[tuple[int, str]]:
    """(rowid, JSON) of up to `limit` articles of an older schema not folded into stories yet;
    the caller holds the write transaction."""
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'legacy_articles'"
    ).fetchone()
    if exists is None:
        return []
    rows = connection.execute(
        "SELECT rowid, source FROM legacy_articles ORDER BY rowid LIMIT ?", (limit,)
    ).fetchall()
    if not rows:
        connection.execute("DROP TABLE legacy_articles")
    return [(int(rowid), str(source)) for rowid, source in rows]


def forget_legacy_articles(connection: sqlite3.Connection, rowids: Iterable[int]) -> None:
    connection.executemany("DELETE FROM legacy_articles WHERE rowid = ?", [(r,) for r in rowids])


def is_initialised(connection: sqlite3.Connection) -> bool:
    return bool(connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION)


def epoch_ms(day: date) -> int:
    """Milliseconds since the epoch at midnight UTC: the value Elasticsearch sorts a date by, so
    cursors look alike on both back-ends."""
    return (day - date(1970, 1, 1)).days * 86_400_000


def epoch_ms_of(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def read_stories(connection: sqlite3.Connection, ids: Iterable[str]) -> dict[str, Story]:
    """The stories with these ids that the index holds."""
    wanted = list(dict.fromkeys(ids))
    stories: dict[str, Story] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for story_id, story in connection.execute(
            f"SELECT id, story FROM stories WHERE id IN ({marks})", chunk
        ):
            stories[str(story_id)] = Story.model_validate_json(story)
    return stories


def save_stories(connection: sqlite3.Connection, stories: Iterable[Story]) -> None:
    """Write each story, replacing the one with its id; the caller holds the transaction."""
    connection.executemany(
        "INSERT OR REPLACE INTO stories (id, claim, story) VALUES (?, ?, ?)",
        [(story.id, story.claim, story.model_dump_json()) for story in stories],
    )


def claimants(connection: sqlite3.Connection, content_sha256: str) -> list[Story]:
    """The stories that would list this content (`Story.claim`)."""
    return [
        Story.model_validate_json(story)
        for (story,) in connection.execute(
            "SELECT story FROM stories WHERE claim = ?", (content_sha256,)
        )
    ]


def unlist(connection: sqlite3.Connection, content_sha256: str) -> None:
    """Take this content out of search, if it is listed."""
    row = connection.execute(
        "SELECT rowid FROM articles WHERE content_sha256 = ?", (content_sha256,)
    ).fetchone()
    if row is not None:
        _delete(connection, int(row[0]))


def list_story(connection: sqlite3.Connection, story: Story) -> None:
    """List the story's current version in search, under its id, from its `visible_from`. Its
    content must not be listed already (`unlist` it first); the caller holds the transaction."""
    article, visible_from = story.current, story.visible_from
    if article is None or visible_from is None:
        raise ValueError(f"story {story.id} lists nothing (it is {story.status})")
    updated = story.last_updated
    cursor = connection.execute(
        "INSERT INTO articles (id, content_sha256, visible_from, updated, section, section_key, "
        "language_key, publication_date, date_sort) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            article.id,
            article.content_sha256,
            epoch_ms_of(visible_from),
            updated.isoformat() if updated else None,
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
        "INSERT INTO article_content VALUES (?, ?, ?, ?, ?, ?, ?)",
        (rowid, *text, article.model_dump_json()),
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
        "INSERT INTO article_keys VALUES (?, ?, ?)",
        [(rowid, field, key) for field, key in _keys(article)],
    )
    connection.executemany(
        "INSERT INTO article_entities VALUES (?, ?, ?)",
        [(rowid, entity.label, entity.name) for entity in article.entities],
    )
    _add_entity_mentions(connection, rowid, {(e.label, e.name) for e in article.entities})
    connection.executemany(
        "INSERT INTO entity_forms VALUES (?, ?, ?)",
        [
            (rowid, entity.label, form)
            for entity in article.entities
            for form in {entity.name.casefold(), *(f.casefold() for f in entity.surface_forms)}
        ],
    )


def _keys(article: EnrichedArticle) -> set[tuple[str, str]]:
    """The keyword values filters match without case: the provider; each subject by code and
    by name."""
    keys = {("provider", article.provider.casefold())} if article.provider else set()
    for concept in article.subjects:
        keys |= {("subject", value.casefold()) for value in (concept.code, concept.name) if value}
    return keys


def _add_entity_mentions(
    connection: sqlite3.Connection, rowid: int | None, entities: set[tuple[str, str]]
) -> None:
    """The article's entities as ids, each counted once more in `entity_names.articles`."""
    connection.executemany(
        "INSERT INTO entity_names (label, name) VALUES (?, ?) ON CONFLICT DO NOTHING", entities
    )
    for label, name in entities:
        connection.execute(
            "UPDATE entity_names SET articles = articles + 1 WHERE label = ? AND name = ?",
            (label, name),
        )
        connection.execute(
            "INSERT INTO article_entity_ids SELECT ?, id FROM entity_names "
            "WHERE label = ? AND name = ?",
            (rowid, label, name),
        )


def _text_columns(article: EnrichedArticle) -> tuple[str | None, ...]:
    return (
        article.title,
        article.standfirst,
        PARAGRAPH_SEPARATOR.join(article.body),
        article.image_caption,
        PARAGRAPH_SEPARATOR.join(article.related_titles),
    )


def _delete(connection: sqlite3.Connection, rowid: int) -> None:
    row = connection.execute(
        "SELECT rowid, title, standfirst, body, image_caption, related_titles "
        "FROM article_content WHERE rowid = ?",
        (rowid,),
    ).fetchone()
    if row is not None:
        # An external-content FTS5 table forgets a row only when told the text it indexed.
        connection.execute(
            "INSERT INTO articles_text (articles_text, rowid, title, standfirst, body, "
            "image_caption, related_titles) VALUES ('delete', ?, ?, ?, ?, ?, ?)",
            row,
        )
    connection.execute(
        "UPDATE entity_names SET articles = articles - 1 "
        "WHERE id IN (SELECT entity FROM article_entity_ids WHERE article = ?)",
        (rowid,),
    )
    for table in (
        "article_authors",
        "article_keys",
        "article_entities",
        "entity_forms",
        "article_entity_ids",
    ):
        connection.execute(f"DELETE FROM {table} WHERE article = ?", (rowid,))
    connection.execute("DELETE FROM article_content WHERE rowid = ?", (rowid,))
    connection.execute("DELETE FROM articles WHERE rowid = ?", (rowid,))
