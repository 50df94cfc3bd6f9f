"""The Elasticsearch index of enriched articles: a versioned index behind an alias.

Readers and the indexer only ever name the alias (`articles`); the physical index is versioned
(`articles-v2`), so a mapping change is a reindex into a new index and an atomic alias switch,
not downtime. The mapping of the current version lives in `mappings/articles-v2.json` beside
this module (`articles-v1.json` is kept to describe indices made before).

A document is the enriched article's JSON plus fields derived from it for the index alone
(`index_document`): `derived.names.<LABEL>`, the names of its entities by label, which the
search API's facets count with plain terms aggregations. The mapping keeps `derived` out of
`_source`, so what is stored and returned is exactly the `articles.enriched` message; the
indexer adds the fields on every write and `reindex` recomputes them on every copy.
"""

import json
import logging
import re
from collections.abc import Iterable, Mapping
from importlib.resources import files
from typing import Any, get_args

from elasticsearch import BadRequestError, Elasticsearch
from elasticsearch.helpers import bulk, scan

from newswire.enriched import EntityLabel

log = logging.getLogger(__name__)

MAPPINGS = files("newswire") / "mappings"
DEFAULT_MAPPING = "articles-v2.json"
# `_meta.index_version` of the current mapping: readers check it before using derived fields.
INDEX_VERSION = 2
DERIVED = "derived"
ENTITY_LABELS: tuple[str, ...] = get_args(EntityLabel)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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


def index_document_bytes(source: bytes) -> bytes:
    """`index_document` for JSON as consumed, on one line (bulk's NDJSON). The consumed bytes are
    kept and the derived fields appended to the object; JSON that is not an article's object is
    returned on one line as it is, for Elasticsearch to refuse (a dead letter)."""
    try:
        parsed = json.loads(source)
    except ValueError:
        return source.replace(b"\r", b" ").replace(b"\n", b" ")
    if not isinstance(parsed, dict):
        return json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
    stripped = source.strip()
    if DERIVED in parsed or not parsed or b"\n" in stripped or b"\r" in stripped:
        document = index_document(parsed)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    entities = parsed.get("entities")
    derived = derived_fields(entities if isinstance(entities, list) else [])
    suffix = json.dumps({DERIVED: derived}, ensure_ascii=False, separators=(",", ":")).encode()
    return stripped[:-1] + b"," + suffix[1:]


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
        `reindex`'s job (the indexer's writes still reach it, and readers work on either)."""
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

    def reindex(self, target: str) -> int:
        """Copy every article into a new index `target` (the current mapping, derived fields
        computed anew), then switch the alias to it atomically.

        Writes that arrive during the copy go to the old index until the switch; a second pass
        after the switch copies those (create-only, so newer writes to `target` win). The old
        index is left in place for the operator to delete. Returns the documents in `target`.
        """
        sources = self.indices_behind_alias()
        if not sources:
            raise ValueError(f"alias {self.alias!r} does not exist: nothing to reindex")
        if target in sources:
            raise ValueError(f"{target!r} is already behind alias {self.alias!r}")
        self._create_index(target, DEFAULT_MAPPING)
        copied = self._copy(sources, target, op_type="index")
        actions: list[dict[str, Any]] = [
            {"remove": {"index": source, "alias": self.alias}} for source in sources
        ]
        actions.append({"add": {"index": target, "alias": self.alias, "is_write_index": True}})
        self.client.indices.update_aliases(actions=actions)
        caught_up = self._copy(sources, target, op_type="create")
        self.client.indices.refresh(index=target)
        log.info("reindexed %d documents (+%d caught up) into %s", copied, caught_up, target)
        return int(self.client.count(index=target)["count"])

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
                    "alias %s points at %s (index version %s): run `newswire reindex --to "
                    "<alias>-v%d` to move it to version %d (faster facets)",
                    self.alias,
                    index,
                    version,
                    INDEX_VERSION,
                    INDEX_VERSION,
                )

    def _copy(self, sources: list[str], target: str, op_type: str) -> int:
        actions = (
            {
                "_op_type": op_type,
                "_index": target,
                "_id": hit["_id"],
                "_source": index_document(hit["_source"]),
            }
            for hit in scan(self.client, index=",".join(sources), query={"sort": ["_doc"]})
        )
        # On the catch-up pass, 409 "already exists" is the expected answer for most documents.
        copied, _ = bulk(self.client, actions, raise_on_error=op_type == "index", stats_only=True)
        return copied
