"""The reference article (shared/samples) through the real enrichment, spaCy model included."""

from pathlib import Path

import pytest
import spacy

from newswire.enriched import EnrichedArticle
from newswire_enrich.enrichment import ArticleEnricher
from newswire_enrich.local_files import raw_article_from_file
from newswire_enrich.pipeline import BUNDLED_MODEL, BUNDLED_MODEL_DIR, NerPipeline
from tests.support.enrichers import (
    FIXED_TIME,
    PREVIOUS_SPACY_MODEL,
    SPACY_MODEL,
    real_enricher,
    real_pipeline,
)

SAMPLE = "samples/trtworld-2024-09-11-pezeshkian-iraq.txt"


@pytest.fixture(scope="module")
def sample_path(shared_dir: Path) -> Path:
    return shared_dir / SAMPLE


@pytest.fixture(scope="module")
def article(sample_path: Path) -> EnrichedArticle:
    (enrichment,) = real_enricher().enrich([raw_article_from_file(sample_path)])
    assert enrichment.rejections == []
    (enriched,) = enrichment.articles
    return enriched


def test_every_head_field_comes_out_exactly(article: EnrichedArticle) -> None:
    assert article.title == "Iran's Pezeshkian visits Iraq in his first foreign trip as president"
    assert article.standfirst == (
        "New agreements are expected to be signed between Tehran and Baghdad during the visit "
        "of Iran's newly elected president Masoud Pezeshkian."
    )
    assert article.summary == article.standfirst
    assert article.image_caption == (
        "President Pezeshkian seeks to strengthen relations with Iraq on his first official trip."
    )
    assert article.image_credit == "AA"
    assert str(article.publication_date) == "2024-09-11"
    assert article.published_at is None  # the document gives no time of day
    assert (article.section, article.section_source) == ("World", "document")
    assert (article.reading_time_minutes, article.reading_time_source) == (3, "document")
    assert article.related_titles == [
        "Can Masoud Pezeshkian transform Iran's domestic and foreign policy?"
    ]
    assert article.language == "en"
    assert (article.authors, article.url, article.tags) == ([], None, [])


def test_body_is_exactly_the_paragraphs_between_the_date_line_and_related(
    article: EnrichedArticle, sample_path: Path
) -> None:
    lines = sample_path.read_text(encoding="utf-8").splitlines()
    assert lines[5] == "September 11, 2024"
    assert lines[-1].startswith("Related")
    assert article.body == [line for line in lines[6:-1] if line]
    assert len(article.body) == 12
    assert article.body[0].startswith("Iranian President Masoud Pezeshkian has arrived")
    assert article.body[-1].endswith("dignitaries from at least 70 countries.")
    assert article.word_count == sum(len(paragraph.split()) for paragraph in article.body)


def test_no_part_of_header_caption_or_related_leaks_into_the_body(
    article: EnrichedArticle,
) -> None:
    body = "\n".join(article.body)
    for leaked in ("date 2024-09-11", "MIN READ", "/ Photo", "September 11, 2024", "Related"):
        assert leaked not in body
    assert article.title not in body
    assert article.standfirst is not None
    assert article.standfirst not in body


def test_people_and_places_are_found_with_the_right_labels(article: EnrichedArticle) -> None:
    labels = {entity.name: entity.label for entity in article.entities}
    for person in ("Masoud Pezeshkian", "Abbas Araqchi", "Saddam Hussein"):
        assert labels[person] == "PERSON"
    for place in ("Iran", "Iraq", "Baghdad", "Tehran", "Israel", "Gaza", "United States"):
        assert labels[place] == "GPE"
    assert labels["Middle East"] == "LOC"
    assert labels["Iranian"] == "NORP"


# What the previous model found here that this one does not (docs/ner-model.md, Limits): CoNLL
# tags a place in "Gaza war" and the fine-tuned model learned to. Anything more fails this test.
KNOWN_LOSSES = {("Gaza war", "EVENT")}


def test_every_entity_the_previous_model_found_is_still_found_with_its_label(
    article: EnrichedArticle, sample_path: Path
) -> None:
    previous = ArticleEnricher(
        NerPipeline.load(PREVIOUS_SPACY_MODEL), words_per_minute=230, clock=lambda: FIXED_TIME
    )
    (enrichment,) = previous.enrich([raw_article_from_file(sample_path)])
    before = {(entity.name, entity.label) for entity in enrichment.articles[0].entities}
    now = {(entity.name, entity.label) for entity in article.entities}
    assert len(before) >= 15
    assert before - KNOWN_LOSSES <= now


def test_aliases_are_merged_into_one_entity(article: EnrichedArticle) -> None:
    by_name = {entity.name: entity for entity in article.entities}
    pezeshkian = by_name["Masoud Pezeshkian"]
    assert pezeshkian.surface_forms == ["Pezeshkian", "Masoud Pezeshkian"]
    assert pezeshkian.count >= 4
    assert set(by_name["United States"].surface_forms) == {"US", "United States"}
    assert not {"Pezeshkian", "US", "the United States"} & set(by_name)
    assert not [name for name in by_name if name.endswith(("'s", "\u2019s"))]


def test_first_mention_points_at_the_entity_text(article: EnrichedArticle) -> None:
    for entity in article.entities:
        where = entity.first_mention
        field = getattr(article, where.field)
        text = field[where.paragraph] if where.paragraph is not None else field
        assert text[where.start : where.end] in entity.surface_forms
    first = {entity.name: entity.first_mention for entity in article.entities}
    assert (first["Masoud Pezeshkian"].field, first["Masoud Pezeshkian"].start) == ("title", 7)


def test_provenance_names_file_hash_format_and_model(
    article: EnrichedArticle, sample_path: Path
) -> None:
    raw = raw_article_from_file(sample_path)
    assert article.content_sha256 == raw.id == article.provenance.sha256
    assert article.story_key == f"inbox:{raw.relative_path}"
    assert article.provenance.source_file == sample_path.name
    assert article.provenance.format == "header-text"
    assert article.provenance.ner_model == "en_newswire_ner-1.1.0"


@pytest.mark.parametrize("model", [SPACY_MODEL, PREVIOUS_SPACY_MODEL])
def test_only_the_ner_component_runs_and_finds_what_the_full_pipeline_finds(
    sample_path: Path, model: str
) -> None:
    pipeline = real_pipeline() if model == SPACY_MODEL else NerPipeline.load(model)
    assert pipeline.nlp.pipe_names == ["ner"]
    text = sample_path.read_text(encoding="utf-8")
    full = spacy.load(BUNDLED_MODEL_DIR if model == BUNDLED_MODEL else model)
    expected = [(e.label_, e.start_char, e.end_char) for e in full(text).ents]
    assert pipeline.entities([text], batch_size=1) == [expected]
