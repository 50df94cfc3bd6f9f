"""The Elasticsearch index of stories: a versioned index behind an alias, and its documents.

Readers and the indexer only ever name the alias (`articles`); the physical index is versioned
(`articles-v3`), so a mapping change is a reindex into a new index and an atomic alias switch,
not downtime. The mapping of the current version lives in `mappings/articles-v3.json` beside
this module (`articles-v1.json` and `articles-v2.json` describe indices made before).

Index version 3 (issue 16) holds two kinds of documents:
- a **story document** per story, `_id` the story id: `{"story": <newswire.enriched.Story>}`,
  its current version, its history and whether a tombstone killed it. Not searched; read by id,
  and by the files its versions came in (`story.versions.file_sha256`).
- a **listing** per content, `_id` `content:<content_sha256>`: the current version of the story
  it is listed under, as `articles.enriched` carries it, plus `listing` (from when it may be
  shown, when the story was last updated, the stories claiming this content in rank order) and
  fields derived for the index alone (`index_document`: `derived.names.<LABEL>`, the names of its
  entities by label, which the facets count; kept out of `_source`). Every search requires
  `listing.visible_from` to have passed, which story documents never match.
The indexer (`newswire_indexer.bulk`) decides what each holds, with compare-and-set writes.
"""

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from importlib.resources import files
from typing import Any, get_args

from elasticsearch import BadRequestError, Elasticsearch
from elasticsearch.helpers import scan

from newswire.enriched import EntityLabel, Story

log = logging.getLogger(__name__)

MAPPINGS = files("newswire") / "mappings"
DEFAULT_MAPPING = "articles-v3.json"
# `_meta.index_version` of the current mapping: readers check it before using its fields.
INDEX_VERSION = 3
DERIVED = "derived"
LISTING = "listing"
STORY = "story"
CONTENT_ID_PREFIX = "content:"
ENTITY_LABELS: tuple[str, ...] = get_args(EntityLabel)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Claimant = tuple[datetime, str]
"""A story claiming a content, by rank (`Story.rank`): first seen, then id."""
Copier = Callable[[str, Iterator[Mapping[str, Any]]], int]
"""Writes the `_source`s of an older index into the named index; returns how many it took."""


def index_definition(mapping_file: str = DEFAULT_MAPPING) -> dict[str, Any]:
    """The settings and mappings an article index is created with."""
    definition: dict[str, Any] = json.loads((MAPPINGS / mapping_file).read_text(encoding="utf-8"))
    return definition


def derived_fields(entities: Iterable[Any]) -> dict[str, Any]:
    """The index-only fields of an article with these `entities` (as JSON objects)."""
    names: dict[str, list[str]] = {}
    for entity in entities:
        if not isinstance(entity, Mapping):
            continue
        label, name = entity.get("label"), entity.get("name")
        if label in ENTITY_LABELS and isinstance(name, str) and (clean := _CONTROL.sub("", name)):
            by_label = names.setdefault(label, [])
            if clean not in by_label:
                by_label.append(clean)
    return {"names": names}


def index_document(source: Mapping[str, Any]) -> dict[str, Any]:
    """The document to index for an article's JSON object: the article plus its derived fields."""
    entities = source.get("entities")
    return {**source, DERIVED: derived_fields(entities if isinstance(entities, list) else [])}


def content_document_id(content_sha256: str) -> str:
    return f"{CONTENT_ID_PREFIX}{content_sha256}"


def story_document(story: Story) -> dict[str, Any]:
    return {STORY: story.model_dump(mode="json")}


def story_of(source: Mapping[str, Any]) -> Story | None:
    """The story a document holds; None for a listing or an article of an older index."""
    story = source.get(STORY)
    return Story.model_validate(story) if isinstance(story, Mapping) else None


def listing_document(story: Story, claimants: Sequence[Claimant]) -> dict[str, Any]:
    """The listing of the story's current version (the story must claim it: `Story.claim`)."""
    article, visible_from = story.current, story.visible_from
    if article is None or visible_from is None:
        raise ValueError(f"story {story.id} lists nothing (it is {story.status})")
    updated = story.last_updated
    return {
        **index_document(article.model_dump(mode="json")),
        LISTING: {
            "visible_from": round(visible_from.timestamp() * 1000),
            "updated": updated.isoformat() if updated else None,
            "versions": len(story.versions),
            "version_order": article.version_order,
            "claimants": [
                {"first_seen": first_seen.isoformat(), "id": story_id}
                for first_seen, story_id in claimants
            ],
        },
    }


def claimants_of(source: Mapping[str, Any]) -> list[Claimant]:
    """The stories claiming a listing's content, in rank order."""
    listing = source.get(LISTING)
    entries = listing.get("claimants", []) if isinstance(listing, Mapping) else []
    return sorted((datetime.fromisoformat(e["first_seen"]), str(e["id"])) for e in entries)


class ArticleIndex:
    def __init__(
        self,
        client: Elasticsearch,
        alias: str,
        index_name: str,
        mapping_file: str = DEFAULT_MAPPING,
    ) -> None:
        self.client = client
        self.alias = alias
        self.index_name = index_name
        self.mapping_file = mapping_file

    def ensure(self) -> None:
        """Create the index and point the alias at it, unless the alias exists. Safe to race.

        An alias that exists is left where it is, even at an older index version: moving it is
        `reindex`'s job."""
        if self.client.indices.exists_alias(name=self.alias):
            self._warn_if_outdated()
            return
        self._create_index(self.index_name, self.mapping_file)
        self.client.indices.update_aliases(
            actions=[
                {"add": {"index": self.index_name, "alias": self.alias, "is_write_index": True}}
            ]
        )

    def indices_behind_alias(self) -> list[str]:
        if not self.client.indices.exists_alias(name=self.alias):
            return []
        return sorted(self.client.indices.get_alias(name=self.alias).body)

    def reindex(self, target: str, copy: Copier) -> int:
        """Copy every story into a new index `target` (the current mapping), then switch the
        alias to it atomically.

        `copy` writes the documents of the old index into `target` the way the indexer writes
        messages (`newswire_indexer.migrate.copy_documents`): articles of an older index version
        are read as versions of their stories, stories are merged, listings made anew. Writes
        that arrive during the copy go to the old index until the switch; a second pass after
        the switch copies them too (it changes nothing that is already there). The old index is
        left in place for the operator to delete. Returns the documents in `target`.
        """
        sources = self.indices_behind_alias()
        if not sources:
            raise ValueError(f"alias {self.alias!r} does not exist: nothing to reindex")
        if target in sources:
            raise ValueError(f"{target!r} is already behind alias {self.alias!r}")
        self._create_index(target, DEFAULT_MAPPING)
        copied = copy(target, self._sources(sources))
        actions: list[dict[str, Any]] = [
            {"remove": {"index": source, "alias": self.alias}} for source in sources
        ]
        actions.append({"add": {"index": target, "alias": self.alias, "is_write_index": True}})
        self.client.indices.update_aliases(actions=actions)
        caught_up = copy(target, self._sources(sources))
        self.client.indices.refresh(index=target)
        log.info("reindexed %d documents (%d read again) into %s", copied, caught_up, target)
        return int(self.client.count(index=target)["count"])

    def _sources(self, indices: list[str]) -> Iterator[Mapping[str, Any]]:
        for hit in scan(self.client, index=",".join(indices), query={"sort": ["_doc"]}):
            yield hit["_source"]

    def _create_index(self, name: str, mapping_file: str) -> None:
        if self.client.indices.exists(index=name):
            return
        try:
            self.client.indices.create(index=name, **index_definition(mapping_file))
        except BadRequestError as error:
            if error.error != "resource_already_exists_exception":  # another replica won the race
                raise

    def _warn_if_outdated(self) -> None:
        mappings = self.client.indices.get_mapping(index=self.alias).body
        for index, mapping in sorted(mappings.items()):
            version = mapping.get("mappings", {}).get("_meta", {}).get("index_version", 1)
            if version < INDEX_VERSION:
                log.warning(
                    "alias %s points at %s (index version %s), which holds articles by content, "
                    "not stories: stop the pipeline and run `newswire reindex --to <alias>-v%d`",
                    self.alias,
                    index,
                    version,
                    INDEX_VERSION,
                )
