"""Wiring ingest to the real inbox and the event log (Kafka or embedded), and its command.

`newswire ingest` watches the inbox until SIGTERM/SIGINT; `newswire ingest --once` takes the files
there now and exits. Exit status 1 when the event log was unreachable or left files
unacknowledged (they stay in the inbox), or the folders can't be used.
"""

import argparse
import contextlib
import logging
import threading
from collections.abc import Iterator

from newswire.backends import open_event_log
from newswire.event_log import EventLogError
from newswire.service_process import expose_metrics, stop_on_signals
from newswire.settings import Settings
from newswire_ingest.dead_letters import DeadLetterFollower
from newswire_ingest.inbox import Inbox, InboxSetupError
from newswire_ingest.log_publisher import LogPublisher
from newswire_ingest.metrics import IngestMetrics
from newswire_ingest.service import IngestService
from newswire_ingest.watcher import InboxWatcher

log = logging.getLogger(__name__)

FOLLOWER_STOP_S = 5.0


@contextlib.contextmanager
def ingest_service(settings: Settings, watch: bool) -> Iterator[IngestService]:
    """The service on the configured inbox and topics; with `watch`, woken by file-system events
    as well as its rescans."""
    inbox = Inbox(
        settings.ingest_inbox,
        settings.ingest_processed_dir,
        settings.ingest_failed_dir,
        settings.ingest_ignore_patterns,
    )
    event_log = open_event_log(settings)
    event_log.ensure_topics([settings.raw_topic, settings.dlq_topic])
    producer = event_log.producer(client_id="newswire-ingest")
    try:
        publisher = LogPublisher(producer, settings.raw_topic, settings.dlq_topic)
        log.info(
            "ingesting %s into %s on %s",
            settings.ingest_inbox,
            settings.raw_topic,
            event_log.describe(),
        )
        service = IngestService(settings, inbox, publisher, IngestMetrics())
        with (
            InboxWatcher(inbox.root, service.notice) if watch else contextlib.nullcontext(),
            _following_dead_letters(settings, inbox) if watch else contextlib.nullcontext(),
        ):
            yield service
    finally:
        producer.close(timeout_s=settings.ingest_shutdown_timeout_s)


@contextlib.contextmanager
def _following_dead_letters(settings: Settings, inbox: Inbox) -> Iterator[None]:
    """Moves published files that a later stage dead-lettered to the failed folder, in a
    thread of its own, while the service runs."""
    event_log = open_event_log(settings)
    consumer = event_log.consumer(
        settings.dead_letter_group, [settings.dlq_topic], client_id="newswire-ingest"
    )
    follower = DeadLetterFollower(event_log, consumer, settings.raw_topic, inbox.fail_published)
    stop = threading.Event()
    # A daemon with a bounded join: a poll blocked in a group rebalance must not hold up the
    # shutdown. Stopping mid-way is safe, as a letter read again finds its file already moved.
    thread = threading.Thread(target=follower.run, args=(stop,), name="dead-letters", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=FOLLOWER_STOP_S)
        if not thread.is_alive():
            consumer.close()


def _ingest(args: argparse.Namespace) -> int:
    settings = Settings()
    # watchfiles logs every group of events at INFO, which would bury the one line per file.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
    try:
        with ingest_service(settings, watch=not args.once) as service:
            expose_metrics(settings.ingest_metrics_port, service.metrics.registry)
            stop_on_signals(service.stop)
            all_acknowledged = service.run(once=args.once)
    except InboxSetupError as error:
        log.error("%s", error)
        return 1
    except EventLogError as error:
        log.error("%s", error)
        return 1
    return 0 if all_acknowledged else 1


def add_parser(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subcommands.add_parser(
        "ingest",
        help="publish the files dropped in the inbox to articles.raw",
        description="Watch the inbox (NEWSWIRE_INGEST_INBOX) and publish each complete file to "
        "the raw topic. Once the log acknowledged it, a file moves to the processed folder (or is "
        "deleted); a file that can't be taken moves to the failed folder with a reason, and a "
        "dead letter goes to the dead-letter topic. Exit status 1 when the event log was "
        "unreachable or left files unacknowledged (they stay in the inbox), or the folders "
        "can't be used.",
    )
    parser.add_argument(
        "--once", action="store_true", help="take the files in the inbox now, then exit"
    )
    parser.set_defaults(handler=_ingest)
