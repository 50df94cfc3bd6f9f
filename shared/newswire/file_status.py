"""Where a dropped file is in the pipeline: `newswire status <file>`.

Each stage leaves a trace this reads back, so nothing extra is recorded on the hot path:
- `waiting`: the file is still in the inbox.
- `failed`: ingest moved it to the failed folder (the reason is in `<name>.reason.json`), or a
  later stage dead-lettered its message (the dead letter is keyed by the raw article id).
- `published`: ingest moved it to the processed folder, so its raw message was acknowledged;
  the message is found on the raw topic by its key, the sha256 of the file's bytes.
- `enriched`: the enrich group's committed offset is past that message: its articles are on the
  enriched topic.
- `indexed`: the search index holds articles whose `provenance.sha256` is the file's.
When ingest deletes published files (`NEWSWIRE_INGEST_AFTER_PUBLISH=delete`), a published file
cannot be told from a file never dropped: its bytes are gone, and with them its id.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from newswire.event_log import EventLog
from newswire.messages import DeadLetter
from newswire.settings import Settings

State = Literal["waiting", "failed", "published", "enriched", "indexed", "unknown"]
ArticleLookup = Callable[[str], list[str]]
"""The ids of the indexed articles made from the file with this sha256."""


@dataclass(frozen=True)
class FileStatus:
    name: str
    state: State
    detail: str
    article_ids: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.name}: {self.state}: {self.detail}"


def relative_name(settings: Settings, name: str) -> str:
    """`name` relative to the inbox, whether given that way or as a path into the inbox, the
    processed or the failed folder."""
    path = Path(name)
    for root in (settings.ingest_inbox, settings.ingest_processed_dir, settings.ingest_failed_dir):
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def file_status(
    settings: Settings, name: str, event_log: EventLog, indexed_articles: ArticleLookup
) -> FileStatus:
    relative = relative_name(settings, name)
    if (settings.ingest_inbox / relative).is_file():
        return FileStatus(relative, "waiting", f"in {settings.ingest_inbox / relative}")
    failed = settings.ingest_failed_dir / relative
    if failed.is_file() or failed.is_symlink():
        return FileStatus(relative, "failed", _ingest_reason(failed))
    processed = settings.ingest_processed_dir / relative
    if not processed.is_file():
        return FileStatus(
            relative,
            "unknown",
            f"no such file in {settings.ingest_inbox}, {settings.ingest_processed_dir} or "
            f"{settings.ingest_failed_dir}",
        )
    sha256 = hashlib.sha256(processed.read_bytes()).hexdigest()
    ids = indexed_articles(sha256)
    if ids:
        return FileStatus(relative, "indexed", f"as {', '.join(ids)}", ids)
    state, detail = _state_on_the_log(settings, event_log, sha256)
    return FileStatus(relative, state, detail)


def _state_on_the_log(settings: Settings, event_log: EventLog, sha256: str) -> tuple[State, str]:
    """How far a published, not yet indexed article got: dead-lettered, enriched, or not."""
    letter = event_log.find(settings.dlq_topic, sha256.encode())
    if letter is not None and letter.value:
        dead = DeadLetter.model_validate_json(letter.value)
        return "failed", f"{dead.stage} [{dead.error_type}]: {dead.reason}"
    raw = event_log.find(settings.raw_topic, sha256.encode())
    if raw is None:
        return "published", f"article {sha256} (its message is no longer on the log)"
    committed = event_log.committed(settings.enrich_group_id, raw.topic, raw.partition)
    if committed is not None and committed > raw.offset:
        return "enriched", f"article {sha256}, not indexed yet"
    return "published", f"article {sha256} on {raw.topic}, waiting to be enriched"


def _ingest_reason(failed: Path) -> str:
    reason_file = failed.with_name(f"{failed.name}.reason.json")
    try:
        reason = json.loads(reason_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"in {failed} (no readable reason beside it)"
    return f"[{reason.get('error_type')}] {reason.get('reason')} (in {failed})"
