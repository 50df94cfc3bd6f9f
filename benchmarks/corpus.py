"""The BBC corpus as inputs for benchmarks and tests: its files, and realistic enriched articles
for the stages after enrich.

They are built from the BBC corpus text (title, paragraphs, section folder) through the public
`EnrichedArticle` contract, so the indexer and API are exercised with real-sized real text
without running the NER model.
"""

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from newswire.enriched import EnrichedArticle, Provenance, story_id, story_key

# The read-only material beside the repository (samples, corpora): NEWSWIRE_SHARED_DIR, else
# `../shared`, as for the tests.
SHARED_DIR = Path(
    os.environ.get("NEWSWIRE_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared")
)


def bbc_files(shared_dir: Path) -> list[Path]:
    """The corpus's files; a clear error rather than an empty list when it is not there."""
    files = sorted((shared_dir / "corpora" / "bbc").glob("*/*.txt"))
    if not files:
        raise FileNotFoundError(
            f"no BBC corpus under {shared_dir}/corpora/bbc: set NEWSWIRE_SHARED_DIR to the shared "
            "folder"
        )
    return files


def enriched_from_bbc_file(path: Path) -> EnrichedArticle:
    raw = path.read_bytes()
    title, _, rest = raw.decode("utf-8", "replace").partition("\n")
    body = [paragraph.strip() for paragraph in rest.split("\n\n") if paragraph.strip()]
    words = sum(len(paragraph.split()) for paragraph in body)
    digest = hashlib.sha256(raw).hexdigest()
    source_file = f"{path.parent.name}/{path.name}"
    key = story_key(guid=None, url=None, source_file=source_file, item=None)
    return EnrichedArticle(
        id=story_id(key),
        story_key=key,
        content_sha256=digest,
        title=title.strip(),
        summary=body[0] if body else None,
        body=body,
        section=path.parent.name.capitalize(),
        section_source="inbox_folder",
        reading_time_minutes=max(1, round(words / 230)),
        reading_time_source="word_count",
        word_count=words,
        language="en",
        provenance=Provenance(
            raw_article_id=digest,
            source_file=source_file,
            sha256=digest,
            format="plain-text",
            parser_version="test",
            ner_model="none",
            spacy_version="none",
            enriched_at=datetime(2026, 1, 1, tzinfo=UTC),
            received_at=datetime(2026, 1, 1, tzinfo=UTC),
        ),
    )


def enriched_bbc_articles(shared_dir: Path, limit: int | None = None) -> Iterator[EnrichedArticle]:
    """BBC articles as enriched articles, one per distinct text (the corpus has duplicates)."""
    seen: set[str] = set()
    for path in bbc_files(shared_dir):
        article = enriched_from_bbc_file(path)
        if article.content_sha256 in seen:
            continue
        seen.add(article.content_sha256)
        yield article
        if limit is not None and len(seen) >= limit:
            return
