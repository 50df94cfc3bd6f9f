"""The shipped NER model on sentences in the style of British and agency news, written here (not
taken from CoNLL): the names a reader checks first come out whole and with the right label.

CoNLL-2003 scores (benchmarks/ner_quality.py) say how the model does on 1996 Reuters; these say
it has not forgotten everyday news of another style while learning it (docs/ner-model.md)."""

from typing import get_args

import pytest
from spacy.pipeline import EntityRecognizer

from newswire.enriched import EntityLabel
from newswire_enrich.pipeline import NerPipeline
from tests.support.enrichers import raw_article, real_enricher


def entities(text: str) -> dict[str, EntityLabel]:
    (enrichment,) = real_enricher().enrich([raw_article(f"A headline\n\n{text}\n")])
    return {entity.name: entity.label for entity in enrichment.articles[0].entities}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Prime Minister Tony Blair met Chancellor Gordon Brown in Downing Street on Monday. "
            "Mr Blair later told MPs that the UK would not change course.",
            {"Tony Blair": "PERSON", "Gordon Brown": "PERSON", "United Kingdom": "GPE"},
        ),
        (
            "Tory leader Michael Howard said Mr Howard's party would cut taxes, while Liberal "
            "Democrat leader Charles Kennedy called the plan a gamble.",
            {"Michael Howard": "PERSON", "Charles Kennedy": "PERSON"},
        ),
        (
            "Shares in Microsoft and Google rose in New York after the Federal Reserve held "
            "interest rates.",
            {"Microsoft": "ORG", "Google": "ORG", "New York": "GPE", "Federal Reserve": "ORG"},
        ),
        (
            "French and German diplomats met at the United Nations in Geneva to discuss the "
            "crisis in the Middle East.",
            {
                "French": "NORP",
                "German": "NORP",
                "United Nations": "ORG",
                "Geneva": "GPE",
                "Middle East": "LOC",
            },
        ),
        (
            "Iran's President Masoud Pezeshkian flew to Baghdad, where Iraqi officials "
            "welcomed him.",
            {"Masoud Pezeshkian": "PERSON", "Baghdad": "GPE", "Iraqi": "NORP", "Iran": "GPE"},
        ),
    ],
)
def test_everyday_news_names_come_out_with_their_labels(
    text: str, expected: dict[str, EntityLabel]
) -> None:
    found = entities(text)
    assert {name: found.get(name) for name in expected} == expected


def test_the_shipped_model_knows_only_the_contract_labels() -> None:
    # Every label costs the recogniser time at every token (training/ner/prune.py): the labels
    # enrich would drop are not in the model at all.
    recogniser = NerPipeline.load("newswire-ner").nlp.get_pipe("ner")
    assert isinstance(recogniser, EntityRecognizer)
    assert set(recogniser.labels) == set(get_args(EntityLabel))
