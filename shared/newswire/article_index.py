"""The Elasticsearch indices of stories, behind two aliases, and their documents.

Readers name aliases only. `articles` (the setting `index_alias`) is what searches read: the
**listings**, in indices rolled over by size (`articles-v3-000001`, `-000002`, …: years of news
stay in shards of a sensible size, and old ones can be snapshotted or dropped whole).
`articles-stories` holds the **story documents** and **claims** in one index
(`articles-v3-stories`), read by id in real time by the indexer, which needs one place to find a
story whatever month it began in. Both are versioned, so a mapping change is a reindex into new
indices and an atomic switch of both aliases, not downtime. The mapping of the current version
lives in `mappings/articles-v3.json` beside this module (`articles-v1.json` and
`articles-v2.json` describe indices made before); both kinds of index use it.

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
- a **claims** document per listed content, `_id` `claims:<content_sha256>`, in the stories
  index: the stories claiming it in rank order and the listing index it is placed in. The
  indexer's compare-and-set on it orders concurrent writers of one listing; the listing itself is
  then written plainly, always into the write index (one placed in an older index moves), so
  each listing index but the newest only loses documents: the live feed reads new writes from
  the newest index's `_seq_no` (`newswire_api.search.elasticsearch.feed`). Listing indices have
  one primary shard each, which that order needs.
The indexer (`newswire_indexer.bulk`) decides what each holds, with compare-and-set writes.

An installation from before the split (one index holding stories and listings behind
`articles`) is adopted in place: `ensure` points `articles-stories` at that index too, and the
first rollover starts `<that index>-000001` for listings (`IndexLayout.legacy`).
"""

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import Any, get_args

from elasticsearch import ApiError, BadRequestError, Elasticsearch
from elasticsearch.helpers import scan

from newswire.enriched import EnrichedArticle, EntityLabel, Story

log = logging.getLogger(__name__)

MAPPINGS = files("newswire") / "mappings"
DEFAULT_MAPPING = "articles-v3.json"
# `_meta.index_version` of the current mapping: readers check it before using its fields.
INDEX_VERSION = 3
DERIVED = "derived"
LISTING = "listing"
STORY = "story"
CONTENT_ID_PREFIX = "content:"
CLAIMS = "claims"
CLAIMS_ID_PREFIX = "claims:"
STORIES_SUFFIX = "-stories"
MAX_STORY_SHARDS = 12  # Media Cloud's 1.5 billion stories run on 12 primaries
_GENERATION = re.compile(r"-(\d{6})$")
ENTITY_LABELS: tuple[str, ...] = get_args(EntityLabel)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Claimant = tuple[datetime, str]
"""A story claiming a content, by rank (`Story.rank`): first seen, then id."""
Copier = Callable[["IndexLayout", Iterator[Mapping[str, Any]]], int]
"""Writes the `_source`s of older indices into a new layout; returns how many it took."""


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


def claims_document_id(content_sha256: str) -> str:
    return f"{CLAIMS_ID_PREFIX}{content_sha256}"


def claims_document(claimants: Sequence[Claimant], placed_in: str) -> dict[str, Any]:
    return {CLAIMS: {"index": placed_in, "claimants": _claimant_entries(claimants)}}


def _claimant_entries(claimants: Sequence[Claimant]) -> list[dict[str, str]]:
    """Claimants as stored (in a claims document, and in the listing they rank)."""
    return [{"first_seen": first_seen.isoformat(), "id": i} for first_seen, i in claimants]


def placement_of(source: Mapping[str, Any]) -> str | None:
    """The listing index a claims document says its content is listed in."""
    claims = source.get(CLAIMS)
    placed = claims.get("index") if isinstance(claims, Mapping) else None
    return placed if isinstance(placed, str) else None


def stories_alias(alias: str) -> str:
    """The alias of the story documents that go with the listings behind `alias`."""
    return f"{alias}{STORIES_SUFFIX}"


def generation(index: str) -> int:
    """The rollover generation of a listing index: its 6-digit suffix, 0 without one (an
    index from before rollover)."""
    found = _GENERATION.search(index)
    return int(found[1]) if found else 0


def story_document(story: Story) -> dict[str, Any]:
    return {STORY: story.model_dump(mode="json")}


def story_of(source: Mapping[str, Any]) -> Story | None:
    """The story a document holds; None for a listing or an article of an older index."""
    story = source.get(STORY)
    return Story.model_validate(story) if isinstance(story, Mapping) else None


def listing_document(story: Story, claimants: Sequence[Claimant]) -> dict[str, Any]:
    """The listing of the story's current version (the story must claim it: `Story.claim`)."""
    article = _listed(story)
    return {**index_document(article.model_dump(mode="json")), LISTING: _listing(story, claimants)}


def listing_json(story: Story, claimants: Sequence[Claimant]) -> bytes:
    """`listing_document` as JSON, serialized by pydantic's own (compiled) serializer: the
    indexer's bulk requests spent a quarter of its time turning models into dicts and dicts
    into JSON."""
    article = _listed(story)
    entities = [{"label": e.label, "name": e.name} for e in article.entities]
    extra = {DERIVED: derived_fields(entities), LISTING: _listing(story, claimants)}
    return _extended(article.model_dump_json().encode(), extra)


def story_json(story: Story) -> bytes:
    """`story_document` as JSON, likewise."""
    return b'{"' + STORY.encode() + b'":' + story.model_dump_json().encode() + b"}"


def _extended(document: bytes, extra: Mapping[str, Any]) -> bytes:
    """A JSON object (`document`, not empty) with `extra`'s members added at its end."""
    members = json.dumps(extra, ensure_ascii=False, separators=(",", ":")).encode()
    return document[:-1] + b"," + members[1:]


def _listed(story: Story) -> EnrichedArticle:
    article, visible_from = story.current, story.visible_from
    if article is None or visible_from is None:
        raise ValueError(f"story {story.id} lists nothing (it is {story.status})")
    return article


def _listing(story: Story, claimants: Sequence[Claimant]) -> dict[str, Any]:
    article, visible_from, updated = _listed(story), story.visible_from, story.last_updated
    return {
        "visible_from": round(visible_from.timestamp() * 1000) if visible_from else None,
        "updated": updated.isoformat() if updated else None,
        "versions": len(story.versions),
        "version_order": article.version_order,
        "claimants": _claimant_entries(claimants),
    }


def claimants_of(source: Mapping[str, Any]) -> list[Claimant]:
    """The stories claiming a content, in rank order, from its claims document (or, in an index
    from before claims documents, its listing)."""
    holder = source.get(CLAIMS, source.get(LISTING))
    entries = holder.get("claimants", []) if isinstance(holder, Mapping) else []
    return sorted((datetime.fromisoformat(e["first_seen"]), str(e["id"])) for e in entries)


@dataclass(frozen=True)
class IndexShape:
    """How the indices Newswire creates are spread over a cluster (settings `index_*`)."""

    story_shards: int | None = None  # None: one per data node, at most MAX_STORY_SHARDS
    replicas: int | None = None  # None: 1 once the cluster has two data nodes (auto-expanded)

    def settings(self, shards: int) -> dict[str, Any]:
        if self.replicas is None:
            # "0-1" follows the cluster: a replica appears as soon as a second node joins.
            return {"number_of_shards": shards, "auto_expand_replicas": "0-1"}
        return {
            "number_of_shards": shards,
            "auto_expand_replicas": False,
            "number_of_replicas": self.replicas,
        }


@dataclass(frozen=True)
class IndexLayout:
    """Where the indexer reads and writes now: the story index, and the listings' write index."""

    stories_index: str
    write_index: str

    @property
    def legacy(self) -> bool:
        """One index holds stories and (some) listings: an installation from before the split,
        whose listings carry their claimants and have no claims documents."""
        return generation(self.stories_index) == 0 and not self.stories_index.endswith(
            STORIES_SUFFIX
        )


def _write_index(behind: Mapping[str, bool]) -> str:
    """Of the indices behind an alias (each with whether it is the write index), the one writes
    go to: the one named so, else the newest generation."""
    writers = [name for name, is_writer in behind.items() if is_writer]
    return writers[0] if writers else max(behind, key=generation)


class LayoutMissingError(RuntimeError):
    """The aliases do not exist (yet): nothing was indexed, or `ensure` was not called."""


class ArticleIndex:
    def __init__(
        self,
        client: Elasticsearch,
        alias: str,
        index_name: str,
        mapping_file: str = DEFAULT_MAPPING,
        shape: IndexShape | None = None,
    ) -> None:
        """`index_name` is the versioned base of the indices (`articles-v3`): listings go to
        `<base>-000001`, … and stories to `<base>-stories`."""
        self.client = client
        self.alias = alias
        self.index_name = index_name
        self.mapping_file = mapping_file
        self.shape = shape or IndexShape()

    @property
    def stories_alias(self) -> str:
        return stories_alias(self.alias)

    def ensure(self) -> None:
        """Create the indices and point the aliases at them, unless the alias exists. Safe to
        race.

        An alias that exists is left where it is, even at an older index version: moving it is
        `reindex`'s job. One from before the story/listing split gets its stories alias (the
        same index)."""
        if self.client.indices.exists_alias(name=self.alias):
            self._warn_if_outdated()
            if not self.client.indices.exists_alias(name=self.stories_alias):
                # An alias from before the split: its one index (its write index, if several).
                current = _write_index(self._aliased(self.alias))
                self.client.indices.update_aliases(
                    actions=[
                        {"add": {"index": current, "alias": self.stories_alias}},
                        # Named the write index: a rollover of an alias over one index without
                        # it would move the alias off that index, and its listings with it.
                        {"add": {"index": current, "alias": self.alias, "is_write_index": True}},
                    ]
                )
            return
        self._create_layout(self.index_name)
        self._point_aliases_at(self.index_name, [])

    def layout(self) -> IndexLayout:
        """The indices behind the aliases now. LayoutMissingError when there are none."""
        behind = self._aliased(self.alias)
        stories = self._aliased(self.stories_alias)
        if not behind or not stories:
            raise LayoutMissingError(f"alias {self.alias!r} or {self.stories_alias!r} is missing")
        return IndexLayout(stories_index=sorted(stories)[0], write_index=_write_index(behind))

    def indices_behind_alias(self) -> list[str]:
        return sorted(self._aliased(self.alias))

    def roll_over(self, max_primary_shard_size: str, max_docs: int | None) -> str | None:
        """Start a new listing write index if the current one met a condition; its name, or
        None. Elasticsearch checks the conditions and switches the write alias atomically, so
        several indexers calling this at once roll over once."""
        conditions: dict[str, Any] = {"max_primary_shard_size": max_primary_shard_size}
        if max_docs is not None:
            conditions["max_docs"] = max_docs
        current = self.layout().write_index
        # An index from before rollover has no generation to count on from.
        new_index = None if generation(current) else f"{current}-000001"
        definition = self._definition(shards=1)
        try:
            answer = self.client.indices.rollover(
                alias=self.alias,
                new_index=new_index,
                conditions=conditions,
                settings=definition["settings"],
                mappings=definition["mappings"],
            )
        except BadRequestError as error:
            if error.error == "resource_already_exists_exception":
                return None  # another indexer rolled over at the same moment
            raise
        if not answer.get("rolled_over"):
            return None
        rolled = str(answer["new_index"])
        log.info("listings roll over from %s to %s (%s)", current, rolled, answer["conditions"])
        # The live feed moves on to the new index once it sees a write there: what went into the
        # old one must be searchable by then (it is only ever deleted from afterwards).
        self.client.indices.refresh(index=current)
        return rolled

    def reindex(self, target: str, copy: Copier) -> int:
        """Copy every story into new indices named from `target` (the current mapping:
        `<target>-stories` and `<target>-000001`), then switch both aliases to them atomically.

        `copy` writes the documents of the old indices into the new layout the way the indexer
        writes messages (`newswire_indexer.migrate.copy_documents`): articles of an older index
        version are read as versions of their stories, stories are merged, listings made anew.
        Writes that arrive during the copy go to the old indices until the switch; a second pass
        after the switch copies them too (it changes nothing that is already there). The old
        indices are left in place for the operator to delete. Returns the listings in the new
        indices.
        """
        sources = sorted(set(self._aliased(self.alias)) | set(self._aliased(self.stories_alias)))
        if not sources:
            raise ValueError(f"alias {self.alias!r} does not exist: nothing to reindex")
        new = IndexLayout(f"{target}{STORIES_SUFFIX}", f"{target}-000001")
        if {new.stories_index, new.write_index} & set(sources) or target in sources:
            raise ValueError(f"{target!r} is already behind alias {self.alias!r}")
        self._create_layout(target)
        copied = copy(new, self._sources(sources))
        self._point_aliases_at(target, sources)
        caught_up = copy(new, self._sources(sources))
        self.client.indices.refresh(index=f"{new.stories_index},{new.write_index}")
        log.info("reindexed %d documents (%d read again) into %s", copied, caught_up, target)
        return int(self.client.count(index=new.write_index)["count"])

    def _create_layout(self, base: str) -> None:
        self._create_index(f"{base}{STORIES_SUFFIX}", self._story_shards())
        self._create_index(f"{base}-000001", 1)

    def _point_aliases_at(self, base: str, previous: list[str]) -> None:
        actions: list[dict[str, Any]] = [
            {"remove": {"index": index, "alias": alias}}
            for alias in (self.alias, self.stories_alias)
            for index in sorted(set(previous) & set(self._aliased(alias)))
        ]
        actions += [
            {"add": {"index": f"{base}-000001", "alias": self.alias, "is_write_index": True}},
            {"add": {"index": f"{base}{STORIES_SUFFIX}", "alias": self.stories_alias}},
        ]
        self.client.indices.update_aliases(actions=actions)

    def _aliased(self, alias: str) -> dict[str, bool]:
        """The indices behind `alias`, each with whether it is the write index."""
        if not self.client.indices.exists_alias(name=alias):
            return {}
        answer = self.client.indices.get_alias(name=alias).body
        return {
            index: bool(aliases.get("aliases", {}).get(alias, {}).get("is_write_index"))
            for index, aliases in answer.items()
        }

    def _sources(self, indices: list[str]) -> Iterator[Mapping[str, Any]]:
        for hit in scan(self.client, index=",".join(indices), query={"sort": ["_doc"]}):
            yield hit["_source"]

    def _story_shards(self) -> int:
        if self.shape.story_shards is not None:
            return self.shape.story_shards
        try:
            nodes = int(self.client.cluster.health()["number_of_data_nodes"])
        except ApiError as error:  # no `monitor` privilege: one shard, as on one node
            log.debug("cluster size unknown (%s); one shard", error)
            return 1
        return max(1, min(MAX_STORY_SHARDS, nodes))

    def _definition(self, shards: int) -> dict[str, Any]:
        definition = index_definition(self.mapping_file)
        settings = {
            k: v
            for k, v in definition.get("settings", {}).items()
            if k not in {"number_of_shards", "number_of_replicas", "auto_expand_replicas"}
        }
        definition["settings"] = settings | self.shape.settings(shards)
        return definition

    def _create_index(self, name: str, shards: int) -> None:
        if self.client.indices.exists(index=name):
            return
        try:
            self.client.indices.create(index=name, **self._definition(shards))
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
