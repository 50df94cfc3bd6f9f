"""`newswire snapshot create [NAME] | list | restore NAME [--replace]`: the article indices in an
Elasticsearch snapshot repository on a shared file system, and back.

What a snapshot holds: every index behind the alias (`NEWSWIRE_INDEX_ALIAS`, `articles`) and
every index or alias named `<alias>-…` (a companion such as `articles-stories`), with their
aliases, and nothing of the cluster's global state. The repository (`NEWSWIRE_SNAPSHOT_REPOSITORY`,
a file system one) is registered at `NEWSWIRE_SNAPSHOT_REPOSITORY_PATH` the first time it is
needed; that folder must be listed in every node's `path.repo` (`newswire dev-services` gives
its nodes `<dev home>/snapshots`, and `dev-services env` exports its path). Each snapshot's
metadata records the documents each index counted and the aliases it had when it was taken.

`restore` brings the snapshot's indices back with their aliases; an index of the snapshot that
exists now is deleted first only with `--replace` (and an alias of the snapshot moved off the
indices that hold it now), so a restore never overwrites by surprise. Exit status 0, or 1 with
one line saying what failed.
"""

import argparse
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from newswire.adapters.elasticsearch import access_problem, create_client
from newswire.settings import Settings

SNAPSHOT_TIMEOUT_S = 3600  # a snapshot or a restore is awaited, however large the index


class SnapshotError(Exception):
    """A snapshot could not be taken, listed or restored; the message says why, in one line."""


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subcommands.add_parser(
        "snapshot",
        help="snapshot the article indices to a file system repository, list, restore",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="take a snapshot and wait for it")
    create.add_argument(
        "name", nargs="?", help="default: <alias>-<UTC time>, e.g. articles-20261207-153000"
    )
    actions.add_parser("list", help="the repository's snapshots, oldest first")
    restore = actions.add_parser("restore", help="restore a snapshot's indices and aliases")
    restore.add_argument("name")
    restore.add_argument(
        "--replace", action="store_true", help="delete the snapshot's indices that exist now"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    # Every request would be logged: a failure is told in one line of our own instead.
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
    client = create_client(settings, request_timeout=SNAPSHOT_TIMEOUT_S, max_retries=0)
    try:
        ensure_repository(client, settings)
        if args.action == "create":
            print(create_snapshot(client, settings, args.name))
        elif args.action == "list":
            for line in list_snapshots(client, settings):
                print(line)
        else:
            print(restore_snapshot(client, settings, args.name, args.replace))
    except SnapshotError as error:
        print(f"newswire snapshot: {error}", file=sys.stderr)
        return 1
    except (ApiError, TransportError) as error:
        problem = access_problem(settings, error)
        if problem is None and isinstance(error, ApiError):
            problem = _reason(error)
        elif problem is None:
            problem = (
                f"cannot reach Elasticsearch at {settings.elasticsearch_url} (ELASTICSEARCH_URL): "
                f"{_reason(error)}"
            )
        print(f"newswire snapshot: {problem}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


def ensure_repository(client: Elasticsearch, settings: Settings) -> None:
    """Register the file system repository unless the cluster knows it already."""
    name = settings.snapshot_repository
    try:
        client.snapshot.get_repository(name=name)
        return
    except NotFoundError:
        pass
    location = settings.snapshot_repository_path
    if location is None:
        raise SnapshotError(
            f"the cluster has no snapshot repository {name!r} and "
            "NEWSWIRE_SNAPSHOT_REPOSITORY_PATH is not set: set it to a folder listed in every "
            "node's path.repo (`newswire dev-services env` prints it for the local nodes)"
        )
    try:
        client.snapshot.create_repository(
            name=name, repository={"type": "fs", "settings": {"location": str(location)}}
        )
    except ApiError as error:
        raise SnapshotError(
            f"cannot register snapshot repository {name!r} at {location} "
            f"(NEWSWIRE_SNAPSHOT_REPOSITORY_PATH): {_reason(error)}; the folder must be listed "
            "in every node's path.repo"
        ) from error


def snapshot_targets(client: Elasticsearch, alias: str) -> dict[str, list[str]]:
    """The indices a snapshot takes: those behind `alias` and those named or aliased
    `<alias>-…`, each with its aliases."""
    found = client.indices.get(
        index=[alias, f"{alias}-*"],
        ignore_unavailable=True,
        allow_no_indices=True,
        expand_wildcards="open,closed",
        features="aliases",
    )
    return {index: sorted(found[index].get("aliases", {})) for index in sorted(found)}


def create_snapshot(client: Elasticsearch, settings: Settings, name: str | None) -> str:
    """Take a snapshot of the article indices, wait for it; one line saying what it holds."""
    alias = settings.index_alias
    targets = snapshot_targets(client, alias)
    if not targets:
        raise SnapshotError(f"no index behind alias {alias!r} or named {alias}-*: nothing to take")
    name = name or f"{alias}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    indices = list(targets)
    # Counted after a refresh, so the figure is what a search sees; the snapshot takes the
    # same documents unless the indexer writes meanwhile.
    client.indices.refresh(index=indices)
    documents = {index: client.count(index=index)["count"] for index in indices}
    aliases: dict[str, list[str]] = {}
    for index, names in targets.items():
        for alias_name in names:
            aliases.setdefault(alias_name, []).append(index)
    answer = client.snapshot.create(
        repository=settings.snapshot_repository,
        snapshot=name,
        indices=indices,
        include_global_state=False,
        wait_for_completion=True,
        metadata={"taken_by": "newswire snapshot", "documents": documents, "aliases": aliases},
    )
    taken = answer["snapshot"]
    if taken["state"] != "SUCCESS":
        failures = "; ".join(str(f.get("reason")) for f in taken.get("failures", [])[:3])
        raise SnapshotError(f"snapshot {name!r} ended {taken['state']}: {failures or '?'}")
    seconds = taken.get("duration_in_millis", 0) / 1000
    return (
        f"snapshot {name}: {len(indices)} indices ({', '.join(indices)}), "
        f"{sum(documents.values())} documents, {seconds:.1f}s, in repository "
        f"{settings.snapshot_repository!r}"
    )


def list_snapshots(client: Elasticsearch, settings: Settings) -> list[str]:
    """One line per snapshot of the repository, oldest first; a header line first."""
    answer = client.snapshot.get(
        repository=settings.snapshot_repository, snapshot="*", sort="start_time"
    )
    lines = [f"{'NAME':<32} {'STATE':<12} {'STARTED (UTC)':<20} {'DOCUMENTS':>10}  INDICES"]
    for snapshot in answer["snapshots"]:
        lines.append(describe_snapshot(snapshot))
    return lines


def describe_snapshot(snapshot: Mapping[str, Any]) -> str:
    """A snapshot as `list` shows it: name, state, start, documents (when it recorded them),
    indices."""
    started = datetime.fromtimestamp(snapshot["start_time_in_millis"] / 1000, UTC)
    documents = (snapshot.get("metadata") or {}).get("documents")
    counted = str(sum(documents.values())) if isinstance(documents, dict) else "?"
    return (
        f"{snapshot['snapshot']:<32} {snapshot['state']:<12} {started:%Y-%m-%d %H:%M:%S}  "
        f"{counted:>10}  {','.join(sorted(snapshot['indices']))}"
    )


def restore_snapshot(client: Elasticsearch, settings: Settings, name: str, replace: bool) -> str:
    """Restore snapshot `name`'s indices and aliases, waiting until they are; one line."""
    repository = settings.snapshot_repository
    try:
        (snapshot,) = client.snapshot.get(repository=repository, snapshot=name)["snapshots"]
    except NotFoundError as error:
        raise SnapshotError(
            f"no snapshot {name!r} in repository {repository!r} (`newswire snapshot list`)"
        ) from error
    indices = sorted(snapshot["indices"])
    aliases: dict[str, list[str]] = (snapshot.get("metadata") or {}).get("aliases") or {}
    existing = sorted(
        client.indices.get(
            index=indices,
            ignore_unavailable=True,
            allow_no_indices=True,
            expand_wildcards="open,closed",
            features="aliases",
        )
    )
    # An alias of the snapshot that now names other indices would name both after the restore.
    holders = _alias_holders(client, list(aliases), exclude=set(indices))
    if (existing or holders) and not replace:
        clash = existing + [f"alias {a} (on {', '.join(i)})" for a, i in holders.items()]
        raise SnapshotError(
            f"{', '.join(clash)} exist(s) now: `newswire snapshot restore {name} --replace` "
            "deletes the indices of the snapshot that exist and moves its aliases"
        )
    if holders:
        client.indices.update_aliases(
            actions=[
                {"remove": {"index": index, "alias": alias}}
                for alias, held_by in holders.items()
                for index in held_by
            ]
        )
    if existing:
        client.indices.delete(index=existing, expand_wildcards="open,closed")
    answer = client.snapshot.restore(
        repository=repository,
        snapshot=name,
        indices=indices,
        include_aliases=True,
        include_global_state=False,
        wait_for_completion=True,
    )
    shards = answer["snapshot"]["shards"]
    if shards.get("failed"):
        raise SnapshotError(f"restore of {name!r}: {shards['failed']} of {shards['total']} failed")
    client.indices.refresh(index=indices)
    documents = sum(client.count(index=index)["count"] for index in indices)
    replaced = f", replacing {', '.join(existing)}" if existing else ""
    return (
        f"restored {name}: {len(indices)} indices ({', '.join(indices)}), {documents} "
        f"documents, aliases {', '.join(sorted(aliases)) or 'none'}{replaced}"
    )


def _alias_holders(
    client: Elasticsearch, aliases: list[str], exclude: set[str]
) -> dict[str, list[str]]:
    """For each alias, the indices outside `exclude` that it names now."""
    if not aliases:
        return {}
    try:
        found = client.indices.get_alias(name=aliases, ignore_unavailable=True)
    except NotFoundError:
        return {}
    holders: dict[str, list[str]] = {}
    for index, entry in sorted(found.items()):
        if index in exclude:
            continue
        for alias in entry.get("aliases", {}):
            if alias in aliases:
                holders.setdefault(alias, []).append(index)
    return holders


def _reason(error: Exception) -> str:
    """Elasticsearch's own reason for `error`, on one line."""
    if isinstance(error, ApiError) and isinstance(error.body, dict):
        cause = error.body.get("error")
        if isinstance(cause, dict):
            root = (cause.get("root_cause") or [cause])[0]
            return f"{root.get('type')}: {root.get('reason')}".replace("\n", " ")
    return f"{type(error).__name__}: {error}".replace("\n", " ")
