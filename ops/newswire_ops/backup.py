"""`newswire backup DIR` and `newswire restore-backup DIR`: the embedded mode's SQLite files (the
event log and the search index) copied while the pipeline runs, and put back while it does not.

A backup is one consistent file per database, made with SQLite's online backup API from one
snapshot: a read transaction held on the source for the whole copy (WAL: it never blocks a writer,
it only keeps checkpoints behind it, so the -wal file grows meanwhile). The copy goes a few pages
at a time with a pause between steps, so the disk stays the pipeline's too. Without the held
snapshot, SQLite restarts a stepped backup whenever another process writes, and under a steady
stream of files it would never finish. The copy is left in rollback-journal mode (no -wal or -shm
beside it), checked (`PRAGMA quick_check`), and `manifest.json`, written last, says what was
copied, when, its size and its SHA-256: a folder without it is not a backup.

The event log is copied before the search index. Its consumer offsets can then only be behind
what the index holds, never ahead: after a restore the indexer replays a little (harmless, every
write is conditional on the story's version) and skips nothing. Files that ingest took after the
backup began are not in it: drop them again after a restore (the manifest says from when).

A restore refuses while any process has the files open (the services hold them open as long as
they run): it takes each database's exclusive lock first and keeps it until every page is back,
so no service can start on a half-restored file. It replaces existing files only with `--replace`.
"""

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from newswire import __version__
from newswire.embedded.sqlite import connect
from newswire.settings import Settings

MANIFEST = "manifest.json"
STEP_PAGES = 1024  # 4 MiB of 4 KiB pages
STEP_PAUSE_S = 0.01


class BackupError(Exception):
    """A backup or restore that cannot be done, and why (what to change to make it possible)."""


@dataclass(frozen=True)
class CopiedDatabase:
    """One database in a backup, as its manifest lists it."""

    name: str  # "event-log" or "search-index"
    file: str  # its file in the backup folder
    source: str  # where it was copied from
    bytes: int
    sha256: str
    schema_version: int  # PRAGMA user_version
    seconds: float


@dataclass(frozen=True)
class Manifest:
    newswire_version: str
    started_at: str
    finished_at: str
    databases: tuple[CopiedDatabase, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            databases = tuple(CopiedDatabase(**entry) for entry in data.pop("databases"))
            return cls(**data, databases=databases)
        except FileNotFoundError as error:
            raise BackupError(
                f"{folder} has no {MANIFEST}: not a finished `newswire backup`"
            ) from error
        except (ValueError, TypeError, KeyError) as error:
            raise BackupError(f"{path} is not a backup manifest: {error}") from error


def embedded_databases(settings: Settings) -> dict[str, Path]:
    """The embedded databases this configuration uses, the event log first (see above)."""
    databases = {}
    if not settings.uses_kafka():
        databases["event-log"] = settings.event_log_path
    if not settings.uses_elasticsearch():
        databases["search-index"] = settings.search_index_path
    return databases


def back_up(databases: dict[str, Path], folder: Path, pause_s: float = STEP_PAUSE_S) -> Manifest:
    """Copy each database into `folder` (new or empty) and write its manifest."""
    if not databases:
        raise BackupError(
            "nothing embedded to back up: this configuration uses Kafka and Elasticsearch"
        )
    for path in databases.values():
        if not path.is_file():
            raise BackupError(f"{path} does not exist: is NEWSWIRE_DATA_DIR the pipeline's?")
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    started = _now()
    copied = tuple(
        _copy(name, source, folder / source.name, pause_s) for name, source in databases.items()
    )
    manifest = Manifest(__version__, started, _now(), copied)
    _write_durably(folder / MANIFEST, manifest.to_json().encode())
    return manifest


def _copy(name: str, source: Path, target: Path, pause_s: float) -> CopiedDatabase:
    began = time.monotonic()
    partial = target.with_name(f".{target.name}.part")
    try:
        check, schema = _copy_snapshot(source, partial, pause_s)
        if check != "ok":
            raise BackupError(f"the copy of {source} fails its check: {check}")
        _fsync(partial)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return CopiedDatabase(
        name,
        target.name,
        str(source.resolve()),
        target.stat().st_size,
        _sha256(target),
        schema,
        round(time.monotonic() - began, 3),
    )


def _copy_snapshot(source: Path, target: Path, pause_s: float) -> tuple[str, int]:
    """Copy `source` as one snapshot into the new file `target`: its quick_check and schema."""
    with (
        closing(connect(source, read_only=True)) as reading,
        closing(sqlite3.connect(target, isolation_level=None)) as writing,
    ):
        # One snapshot for the whole copy (see the module's docstring).
        reading.execute("BEGIN")
        reading.execute("SELECT count(*) FROM sqlite_master").fetchone()
        reading.backup(writing, pages=STEP_PAGES, progress=_pausing(pause_s))
        reading.execute("COMMIT")
        writing.execute("PRAGMA journal_mode=DELETE")  # one file, readable anywhere
        (check,) = writing.execute("PRAGMA quick_check").fetchone()
        (schema,) = writing.execute("PRAGMA user_version").fetchone()
    return str(check), int(schema)


def _pausing(pause_s: float) -> Callable[[int, int, int], None]:
    def pause(_status: int, remaining: int, _total: int) -> None:
        if remaining and pause_s:
            time.sleep(pause_s)

    return pause


def restore(folder: Path, databases: dict[str, Path], replace: bool = False) -> Manifest:
    """Put back the databases of the backup in `folder` at the paths `databases` name (by the
    manifest's names); refuses while any process has one of them open."""
    manifest = Manifest.read(folder)
    for copied in manifest.databases:
        if copied.name not in databases:
            raise BackupError(
                f"the backup holds the {copied.name}, which this configuration does not use"
            )
        backup_file = folder / copied.file
        if not backup_file.is_file() or _sha256(backup_file) != copied.sha256:
            raise BackupError(f"{backup_file} is missing or not what the backup wrote")
        target = databases[copied.name]
        if target.exists() and not replace:
            raise BackupError(f"{target} exists: add --replace to replace it with the backup's")
    with ExitStack() as held:
        targets = {
            copied.name: held.enter_context(_held_exclusively(databases[copied.name]))
            for copied in manifest.databases
        }
        for copied in manifest.databases:
            with closing(connect(folder / copied.file, read_only=True)) as reading:
                reading.backup(targets[copied.name])
    return manifest


@contextmanager
def _held_exclusively(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to `path` that holds its exclusive lock until closed; BackupError when any
    other connection has the file open (a running service: each holds its files open)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        # In exclusive locking mode a connection keeps the locks it took until it closes.
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        connection.execute("BEGIN EXCLUSIVE")
        connection.execute("COMMIT")
    except sqlite3.OperationalError as error:
        connection.close()
        raise BackupError(
            f"{path} is in use ({error}): stop the pipeline (newswire run) before restoring"
        ) from error
    try:
        yield connection
    finally:
        connection.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


def _write_durably(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.part")
    with partial.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    partial.rename(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    backup = subcommands.add_parser(
        "backup",
        help="copy the embedded event log and search index into DIR, while the pipeline runs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backup.add_argument("folder", type=Path, metavar="DIR", help="a new or empty folder")
    backup.set_defaults(handler=_backup)
    restore_backup = subcommands.add_parser(
        "restore-backup",
        help="put back the files of a `newswire backup` (the pipeline stopped)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    restore_backup.add_argument("folder", type=Path, metavar="DIR", help="a backup's folder")
    restore_backup.add_argument(
        "--replace", action="store_true", help="replace the data folder's existing files"
    )
    restore_backup.set_defaults(handler=_restore)


def _backup(args: argparse.Namespace) -> int:
    try:
        manifest = back_up(embedded_databases(Settings()), args.folder)
    except (BackupError, sqlite3.Error, OSError) as error:
        print(f"newswire backup: {error}", file=sys.stderr)
        return 1
    for copied in manifest.databases:
        print(
            f"{copied.name}: {copied.source} → {args.folder / copied.file} "
            f"({copied.bytes / 2**20:.1f} MiB, {copied.seconds:.1f} s)"
        )
    print(f"backup of {manifest.started_at} in {args.folder.resolve()} ({MANIFEST})")
    return 0


def _restore(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        manifest = restore(args.folder, embedded_databases(settings), args.replace)
    except (BackupError, sqlite3.Error, OSError) as error:
        print(f"newswire restore-backup: {error}", file=sys.stderr)
        return 1
    names = ", ".join(copied.name for copied in manifest.databases)
    print(
        f"restored {names} of {manifest.started_at} into {settings.data_dir.resolve()}; files "
        "ingest took after that time are not in it: drop them again"
    )
    return 0
