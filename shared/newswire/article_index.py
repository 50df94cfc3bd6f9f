"""The Elasticsearch index of enriched articles: a versioned index behind an alias.

Readers and the indexer only ever name the alias (`articles`); the physical index is versioned
(`articles-v1`), so a mapping change is a reindex into `articles-v2` and an atomic alias switch,
not downtime. The mapping lives in `mappings/<index>.json` beside this module.
"""

import json
import logging
from importlib.resources import files
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch
from elasticsearch.helpers import bulk, scan

log = logging.getLogger(__name__)

MAPPINGS = files("newswire") / "mappings"
DEFAULT_MAPPING = "articles-v1.json"


def index_definition(mapping_file: str = DEFAULT_MAPPING) -> dict[str, Any]:
    """The settings and mappings an article index is created with."""
    definition: dict[str, Any] = json.loads((MAPPINGS / mapping_file).read_text(encoding="utf-8"))
    return definition


class ArticleIndex:
    def __init__(self, client: Elasticsearch, alias: str, index_name: str) -> None:
        self.client = client
        self.alias = alias
        self.index_name = index_name

    def ensure(self) -> None:
        """Create the index and point the alias at it, unless they exist. Safe to race."""
        self._create_index(self.index_name)
        if not self.client.indices.exists_alias(name=self.alias):
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
        """Copy every article into a new index `target`, then switch the alias to it atomically.

        Writes that arrive during the copy go to the old index until the switch; a second pass
        after the switch copies those (create-only, so newer writes to `target` win). The old
        index is left in place for the operator to delete. Returns the documents in `target`.
        """
        sources = self.indices_behind_alias()
        if not sources:
            raise ValueError(f"alias {self.alias!r} does not exist: nothing to reindex")
        if target in sources:
            raise ValueError(f"{target!r} is already behind alias {self.alias!r}")
        self._create_index(target)
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

    def _create_index(self, name: str) -> None:
        if self.client.indices.exists(index=name):
            return
        try:
            self.client.indices.create(index=name, **index_definition())
        except BadRequestError as error:
            if error.error != "resource_already_exists_exception":  # another replica won the race
                raise

    def _copy(self, sources: list[str], target: str, op_type: str) -> int:
        actions = (
            {"_op_type": op_type, "_index": target, "_id": hit["_id"], "_source": hit["_source"]}
            for hit in scan(self.client, index=",".join(sources), query={"sort": ["_doc"]})
        )
        # On the catch-up pass, 409 "already exists" is the expected answer for most documents.
        copied, _ = bulk(self.client, actions, raise_on_error=op_type == "index", stats_only=True)
        return copied
