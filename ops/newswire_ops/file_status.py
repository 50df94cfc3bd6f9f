"""Where a dropped file is in the pipeline: `newswire status <file>`.

Each stage leaves a trace this reads back, so nothing extra is recorded on the hot path:
- `waiting`: the file is still in the inbox.
- `failed`: ingest moved it to the failed folder (the reason is in `<name>.reason.json`: its own,
  or the dead letter of a later stage, which ingest's dead-letter follower copies there), or a
  later stage dead-lettered its message and the follower has not moved the file yet (the dead
  letter is found on the dead-letter topic by its key, the raw article id).
- `published`: ingest moved it to the processed folder, which it does only after the log
  acknowledged the raw message; the message is found on the raw topic by its key, the sha256 of
  the file's bytes.
- `enriched`: the enrich group's committed offset on that message's partition is past it, and
  enrich commits only after its results were acknowledged: its articles are on the enriched
  topic (not yet in the index).
- `indexed`: the search index holds stories with a version from the file (its sha256); for each,
  the story's key, its current version, and whether the file's version is that one (`current`),
  an older one (`superseded`), or the story is `killed`, `withheld` or `embargoed until …`.
What cannot be told: when ingest deletes published files (`NEWSWIRE_INGEST_AFTER_PUBLISH=delete`)
a published file cannot be told from a file never dropped, as its bytes, and with them its id,
are gone (`unknown`); and once the raw message has left the log (retention), `published` is
inferred from the processed folder alone, and said so.
"""

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from newswire.enriched import Story, StoryVersion
from newswire.event_log import EventLog, EventLogError
from newswire.messages import DeadLetter
from newswire.settings import Settings
from newswire_api.search import open_article_search

State = Literal["waiting", "failed", "published", "enriched", "indexed", "unknown"]
ArticleLookup = Callable[[str], list[Story]]
"""The indexed stories with a version made from the file with this sha256."""


@dataclass(frozen=True)
class FileStatus:
    name: str
    state: State
    detail: str
    article_ids: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.name}: {self.state}: {self.detail}"


def status_settings(settings: Settings) -> Settings:
    """The back-ends `newswire status FILE` reads. `newswire up` hands its services Kafka and
    Elasticsearch whatever `auto` would choose, but `status` runs in another terminal: what is
    configured wins; otherwise the embedded log / index when their files exist in the data
    directory (`newswire run` was used here), else the servers `newswire up` starts."""
    update: dict[str, str] = {}
    if settings.event_log == "auto" and not settings.uses_kafka():
        update["event_log"] = "embedded" if settings.event_log_path.exists() else "kafka"
    if settings.search_index == "auto" and not settings.uses_elasticsearch():
        embedded = settings.search_index_path.exists()
        update["search_index"] = "embedded" if embedded else "elasticsearch"
    return settings.model_copy(update=update)


def relative_name(settings: Settings, name: str) -> str:
    """`name` relative to the inbox, whether given that way or as a path into the inbox, the
    processed or the failed folder. The name's last part is not resolved: it may be a symbolic
    link (ingest moves links to the failed folder as they are, without following them)."""
    path = Path(name)
    if path.parent != Path():
        path = path.parent.resolve() / path.name
    absolute = Path(os.path.abspath(path))
    for root in (settings.ingest_inbox, settings.ingest_processed_dir, settings.ingest_failed_dir):
        for base in {Path(os.path.abspath(root)), root.resolve()}:
            if absolute.is_relative_to(base) and absolute != base:
                return absolute.relative_to(base).as_posix()
    return Path(name).as_posix()


def file_status(
    settings: Settings, name: str, event_log: EventLog, indexed_articles: ArticleLookup
) -> FileStatus:
    relative = relative_name(settings, name)
    waiting = settings.ingest_inbox / relative
    if _dropped_there(waiting):
        return FileStatus(relative, "waiting", f"in {waiting}")
    failed = settings.ingest_failed_dir / relative
    if _dropped_there(failed):
        return FileStatus(relative, "failed", _ingest_reason(failed))
    processed = _latest_drop(settings.ingest_processed_dir / relative)
    if not processed.is_file():
        return FileStatus(
            relative,
            "unknown",
            f"no such file in {settings.ingest_inbox}, {settings.ingest_processed_dir} or "
            f"{settings.ingest_failed_dir}",
        )
    sha256 = hashlib.sha256(processed.read_bytes()).hexdigest()
    unreadable_index = ""
    try:
        stories = indexed_articles(sha256)
    except Exception as error:  # any back-end's failure: report it, then read the log
        stories, unreadable_index = [], f"; the search index could not be read: {error}"
    if stories:
        now = datetime.now(UTC)
        detail = "; ".join(story_report(story, sha256, now) for story in stories)
        return FileStatus(relative, "indexed", detail, [story.id for story in stories])
    try:
        state, detail = _state_on_the_log(settings, event_log, sha256)
    except EventLogError as error:
        state, detail = "published", f"article {sha256}; the event log could not be read: {error}"
    return FileStatus(relative, state, detail + unreadable_index)


def _dropped_there(path: Path) -> bool:
    """Something other than a folder is at `path`, never followed: a file, a symbolic link, or
    what else a user can drop and ingest refuses as not a regular file (a FIFO, a socket)."""
    return os.path.lexists(path) and not path.is_dir()


def _latest_drop(processed: Path) -> Path:
    """The file last dropped under this name: ingest keeps a name dropped again as
    `name (2).ext`, `name (3).ext`… in the processed folder (a correction re-dropped under its
    name is the story's next version)."""
    numbered = re.compile(rf"{re.escape(processed.stem)} \(\d+\){re.escape(processed.suffix)}")
    try:
        drops = [p for p in processed.parent.iterdir() if numbered.fullmatch(p.name)]
    except OSError:
        return processed
    if processed.is_file():
        drops.append(processed)
    return max(drops, key=lambda p: p.stat().st_mtime_ns, default=processed)


def story_report(story: Story, file_sha256: str, now: datetime) -> str:
    """One story a file is a version of: its key and id, its current version, and what the
    file's version is to it."""
    current = story.current
    head = f"story {story.story_key} (id {story.id})"
    if current is None:
        return f"{head}: killed ({story.kill_reason})"
    shown = _version_name(StoryVersion.of(current))
    mine = story.version_of_file(file_sha256)
    if story.status == "killed":
        return f"{head}: killed ({story.kill_reason})"
    if mine is None or mine.content_sha256 != current.content_sha256:
        where = f"{_version_name(mine)} " if mine is not None else ""
        return f"{head}: this file's version {where}is superseded by {shown}"
    if story.status == "withheld":
        return f"{head}: this file's version is the current one ({shown}), withheld"
    if story.status == "embargoed" and not story.is_visible(now):
        until = current.embargoed_until
        return f"{head}: this file's version is the current one ({shown}), embargoed until " + (
            until.isoformat() if until else "further notice"
        )
    return f"{head}: this file's version is the current one ({shown})"


def _version_name(version: StoryVersion) -> str:
    number = f"version {version.version}" if version.version is not None else "version"
    return f"{number} of {version.time.isoformat()}"


def _state_on_the_log(settings: Settings, event_log: EventLog, sha256: str) -> tuple[State, str]:
    """How far a published, not yet indexed article got: dead-lettered, enriched, or not."""
    letter = event_log.find(settings.dlq_topic, sha256.encode())
    if letter is not None and letter.value:
        dead = DeadLetter.model_validate_json(letter.value)
        return "failed", f"{dead.stage} [{dead.error_type}]: {dead.reason}"
    raw = event_log.find(settings.raw_topic, sha256.encode())
    if raw is None:
        return "published", (
            f"article {sha256} (in the processed folder; its message is no longer on the log)"
        )
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
    stage = reason.get("stage")
    by = f"{stage} " if stage and stage != "ingest" else ""
    return f"{by}[{reason.get('error_type')}] {reason.get('reason')} (in {failed})"


def open_article_lookup(settings: Settings) -> ArticleLookup:
    """The search index `settings` choose, asked which stories have a version from a file."""
    return open_article_search(settings).stories_from_file
