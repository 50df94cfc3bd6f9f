"""Wiring ingest to the real inbox and the event log (Kafka or embedded)."""

import contextlib
import logging
import threading
from collections.abc import Iterator

from newswire.backends import open_event_log
from newswire.settings import Settings
from newswire_ingest.dead_letters import DeadLetterFollower
from newswire_ingest.inbox import Inbox
from newswire_ingest.log_publisher import LogPublisher
from newswire_ingest.metrics import IngestMetrics
from newswire_ingest.service import IngestService
from newswire_ingest.watcher import InboxWatcher

log = logging.getLogger(__name__)

FOLLOWER_STOP_S = 5.0


@contextlib.contextmanager
def ingest_service(
    settings: Settings, watch: bool, refusals: list[str] | None = None
) -> Iterator[IngestService]:
    """The service on the configured inbox and topics; with `watch`, woken by file-system events
    as well as its rescans. A send the event log refuses for good (a password, an ACL) stops
    the service, its reason added to `refusals`."""
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

        def refused(reason: str) -> None:
            if refusals is not None:
                refusals.append(reason)
            service.fail(reason)

        publisher.on_refused = refused
        if not watch:
            yield service
            return
        with _watching(inbox, service), _following_dead_letters(settings, inbox, service):
            yield service
    finally:
        producer.close(timeout_s=settings.ingest_shutdown_timeout_s)


@contextlib.contextmanager
def _watching(inbox: Inbox, service: IngestService) -> Iterator[None]:
    """File-system events wake the service; a watcher that stopped is started again at the
    service's next rescan."""
    with InboxWatcher(
        inbox.root,
        service.notice,
        on_restart=service.metrics.watcher_restarts.inc,
        writes_matter=not inbox.writers_visible,
        excluded=(inbox.processed, inbox.failed),
    ) as watcher:
        service.every_rescan(watcher.ensure_running)
        yield


@contextlib.contextmanager
def _following_dead_letters(
    settings: Settings, inbox: Inbox, service: IngestService
) -> Iterator[None]:
    """Moves published files that a later stage dead-lettered to the failed folder, in a
    thread of its own, while the service runs. The follower retries what is transient itself;
    should it stop on anything else, the service stops too (and its supervisor starts a new
    process): never a dead thread in a live process."""
    event_log = open_event_log(settings)
    consumer = event_log.consumer(
        settings.dead_letter_group, [settings.dlq_topic], client_id="newswire-ingest"
    )
    follower = DeadLetterFollower(
        event_log,
        consumer,
        settings.raw_topic,
        inbox.fail_published,
        on_error=service.metrics.dead_letter_errors.inc,
    )
    stop = threading.Event()

    def follow() -> None:
        try:
            follower.run(stop)
        except Exception as error:
            log.exception("the dead-letter follower stopped")
            service.fail(f"the dead-letter follower stopped: {error!r}")

    # A daemon with a bounded join: a poll blocked in a group rebalance must not hold up the
    # shutdown. Stopping mid-way is safe, as a letter read again finds its file already moved.
    thread = threading.Thread(target=follow, name="dead-letters", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=FOLLOWER_STOP_S)
        if not thread.is_alive():
            consumer.close()
