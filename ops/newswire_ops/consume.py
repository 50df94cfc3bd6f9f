"""`newswire consume`: a topic's messages as JSON Lines on stdout, on either event log.

The shell-friendly way into the pipeline (`newswire consume --follow | jq …`), the same on Kafka
and on the embedded log of `newswire run`. One line per message, always these keys:

    {"topic": "articles.enriched", "partition": 0, "offset": 41,
     "timestamp": "2026-12-01T07:34:27.123Z", "key": "<story id>", "value": {…}}

`value` is the message's JSON, or null for a tombstone (the story was killed; a compacted topic
then drops its earlier messages). A value that is not JSON (none of Newswire's topics has one)
is given as base64 text with `"value_encoding": "base64"`. `key` is UTF-8 text, or null.

Where it starts, per partition: `--since TIME` (the first message taken at or after it),
`--from-beginning`, else the group's committed offsets (`--group`), else the beginning. With
`--group` it commits after each batch is written and flushed, so a consumer killed (even with
kill -9) and started again continues where it was; it may print again the last batch it had not
committed (at-least-once). The reader assigns itself every partition: a group here is a
bookmark, not a way to share partitions between several readers. Without `--follow` it stops
once it has read what the topic held when it started.
"""

import argparse
import base64
import json
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from newswire.backends import open_event_log
from newswire.event_log import EventLogError, TimedRecord, TopicReader
from newswire.service_process import stop_on_signals
from newswire.settings import Settings

POLL_TIMEOUT_S = 0.5
BATCH = 500
_AGO = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    consume = subcommands.add_parser(
        "consume",
        help="print a topic's messages as JSON Lines (Kafka or the embedded log)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    consume.add_argument("topic", nargs="?", help="default: the enriched topic")
    start = consume.add_mutually_exclusive_group()
    start.add_argument(
        "--from-beginning", action="store_true", help="every message, whatever the group read"
    )
    start.add_argument(
        "--since",
        type=parse_since,
        metavar="TIME",
        help="messages taken at or after TIME: ISO 8601 (UTC unless it says) or an age "
        "such as 30s, 15m, 2h, 7d",
    )
    consume.add_argument(
        "--group", help="commit offsets under this consumer group, and start from them"
    )
    consume.add_argument(
        "--follow", action="store_true", help="keep waiting for new messages (Ctrl-C stops)"
    )
    consume.set_defaults(handler=_consume)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """An aware time from ISO 8601 or an age (`15m`: fifteen minutes before `now`)."""
    ago = _AGO.match(text.strip())
    if ago:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[ago[2]]: int(ago[1])})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither ISO 8601 (2026-12-01T07:30:00Z) nor an age (15m, 2h, 7d)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def json_line(record: TimedRecord) -> str:
    """The JSON Lines shape of one message (see the module's docstring)."""
    line: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": _iso(record.timestamp),
        "key": None if record.key is None else record.key.decode("utf-8", "backslashreplace"),
        "value": None,
    }
    if record.value is not None:
        try:
            line["value"] = json.loads(record.value)
        except ValueError:  # not UTF-8 or not JSON
            line["value"] = base64.b64encode(record.value).decode("ascii")
            line["value_encoding"] = "base64"
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def start_offsets(
    reader: TopicReader, from_beginning: bool, since: datetime | None
) -> dict[int, int]:
    """Where each partition is read from (see the module's docstring)."""
    if since is not None:
        return reader.offsets_for_time(round(since.timestamp() * 1000))
    beginning = dict.fromkeys(reader.partitions(), 0)
    if from_beginning:
        return beginning
    return {**beginning, **reader.committed()}


def consume(
    reader: TopicReader,
    out: IO[str],
    *,
    from_beginning: bool = False,
    since: datetime | None = None,
    commits: bool = False,
    follow: bool = False,
    stopping: threading.Event | None = None,
) -> int:
    """Write the messages as JSON Lines to `out` until caught up (or, following, until
    `stopping` is set); returns how many were written."""
    positions = start_offsets(reader, from_beginning, since)
    for partition, offset in positions.items():
        reader.seek(partition, offset)
    ends = reader.end_offsets()
    written = 0
    while not (stopping is not None and stopping.is_set()):
        if not follow and all(positions[p] >= end for p, end in ends.items()):
            break
        records = reader.poll(POLL_TIMEOUT_S, BATCH)
        if not records:
            continue
        out.write("".join(json_line(record) + "\n" for record in records))
        out.flush()  # on the reader's side before the commit says it was read
        written += len(records)
        advanced = _next_offsets(records)
        positions.update(advanced)
        if commits:
            reader.commit(advanced)
    return written


def _next_offsets(records: Sequence[TimedRecord]) -> Mapping[int, int]:
    offsets: dict[int, int] = {}
    for record in records:
        offsets[record.partition] = max(offsets.get(record.partition, 0), record.offset + 1)
    return offsets


def _iso(timestamp_ms: int) -> str:
    moment = datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _consume(args: argparse.Namespace) -> int:
    settings = Settings()
    topic = args.topic or settings.enriched_topic
    if not settings.uses_kafka() and not settings.event_log_path.is_file():
        print(
            f"newswire consume: no embedded event log at {settings.event_log_path}: run it where "
            "`newswire run` runs (or set NEWSWIRE_DATA_DIR), or set KAFKA_BOOTSTRAP_SERVERS",
            file=sys.stderr,
        )
        return 1
    stopping = threading.Event()
    stop_on_signals(stopping.set)
    try:
        reader = open_event_log(settings).reader(topic, args.group, client_id="newswire-consume")
        try:
            consume(
                reader,
                sys.stdout,
                from_beginning=args.from_beginning,
                since=args.since,
                commits=args.group is not None,
                follow=args.follow,
                stopping=stopping,
            )
        finally:
            reader.close()
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        return 0
    except EventLogError as error:
        print(f"newswire consume: {error}", file=sys.stderr)
        return 1
    return 0
