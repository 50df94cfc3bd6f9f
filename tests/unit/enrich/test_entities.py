"""Entity mentions trimmed to names and aliases merged within one article."""

import pytest

from newswire.enriched import TextSpan
from newswire_enrich.entities import Mention, merge_aliases, trim_to_name


def mentions(*labelled: tuple[str, str]) -> list[Mention]:
    """Mentions in the order given, each in its own body paragraph."""
    return [
        Mention(label, surface, TextSpan(field="body", paragraph=n, start=0, end=len(surface)), n)
        for n, (label, surface) in enumerate(labelled)
    ]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("the United States", "United States"),
        ("The Middle East", "Middle East"),
        ("Iran's", "Iran"),
        ("Reuters\u2019s", "Reuters"),
        ('"Gaza"', "Gaza"),
        ("U.S.", "U.S."),
        ("Theresa May", "Theresa May"),
    ],
)
def test_mentions_are_trimmed_to_the_name(text: str, name: str) -> None:
    span = trim_to_name(text, 0, len(text))
    assert span is not None
    assert text[span[0] : span[1]] == name


def test_a_mention_of_only_punctuation_is_dropped() -> None:
    assert trim_to_name("' - '", 0, 5) is None


def test_a_lone_surname_joins_its_person_even_when_mislabelled() -> None:
    (person,) = merge_aliases(
        mentions(("NORP", "Pezeshkian"), ("PERSON", "Masoud Pezeshkian"), ("PERSON", "Pezeshkian"))
    )
    assert (person.label, person.name, person.count) == ("PERSON", "Masoud Pezeshkian", 3)
    assert person.surface_forms == ["Pezeshkian", "Masoud Pezeshkian"]
    assert person.first_mention.paragraph == 0


def test_a_surname_two_people_share_stays_apart() -> None:
    entities = merge_aliases(
        mentions(("PERSON", "Bill Clinton"), ("PERSON", "Hillary Clinton"), ("PERSON", "Clinton"))
    )
    assert sorted(entity.name for entity in entities) == [
        "Bill Clinton",
        "Clinton",
        "Hillary Clinton",
    ]


def test_a_place_named_like_a_person_is_not_joined_to_them() -> None:
    entities = merge_aliases(mentions(("PERSON", "George Washington"), ("GPE", "Washington")))
    assert {(e.label, e.name) for e in entities} == {
        ("PERSON", "George Washington"),
        ("GPE", "Washington"),
    }


def test_us_us_with_dots_and_united_states_are_one_place() -> None:
    (place,) = merge_aliases(
        mentions(("GPE", "US"), ("GPE", "U.S."), ("GPE", "United States"), ("GPE", "US"))
    )
    assert (place.label, place.name, place.count) == ("GPE", "United States", 4)
    assert place.surface_forms == ["US", "U.S.", "United States"]


def test_an_acronym_joins_the_organisation_it_abbreviates() -> None:
    (organisation,) = merge_aliases(mentions(("ORG", "European Union"), ("ORG", "EU")))
    assert (organisation.name, organisation.count) == ("European Union", 2)


def test_forms_differing_only_in_case_are_one_entity_labelled_by_its_fullest_form() -> None:
    (entity,) = merge_aliases(mentions(("ORG", "NATO"), ("ORG", "Nato"), ("GPE", "Nato")))
    assert (entity.label, entity.count) == ("ORG", 3)


def test_labels_outside_the_contract_are_left_out() -> None:
    entities = merge_aliases(
        mentions(("DATE", "Wednesday"), ("CARDINAL", "2,500"), ("GPE", "Iraq"))
    )
    assert [entity.name for entity in entities] == ["Iraq"]


def test_entities_are_ordered_by_count_then_first_mention() -> None:
    entities = merge_aliases(
        mentions(("GPE", "Iraq"), ("GPE", "Iran"), ("GPE", "Iran"), ("NORP", "Iraqi"))
    )
    assert [entity.name for entity in entities] == ["Iran", "Iraq", "Iraqi"]


def test_an_honorific_is_not_part_of_a_name_and_the_surname_joins_the_person() -> None:
    entities = merge_aliases(
        mentions(
            ("PERSON", "Tony Blair"), ("PERSON", "Mr Blair"), ("PERSON", "Prime Minister Blair")
        )
    )

    assert [(e.name, e.count) for e in entities] == [("Tony Blair", 3)]
    assert set(entities[0].surface_forms) == {"Tony Blair", "Blair"}


def test_a_person_named_only_by_title_and_surname_is_named_by_the_surname() -> None:
    (entity,) = merge_aliases(mentions(("PERSON", "Dr. Cragg")))

    assert entity.name == "Cragg"
    assert entity.first_mention.start == len("Dr. ")


@pytest.mark.parametrize(
    ("forms", "name"),
    [
        (["US"], "United States"),
        (["U.S.", "America"], "United States"),
        (["Britain", "UK"], "United Kingdom"),
        (["EU"], "European Union"),
    ],
)
def test_countries_and_bodies_have_one_name_across_articles(forms: list[str], name: str) -> None:
    (entity,) = merge_aliases(mentions(*(("GPE", form) for form in forms)))

    assert entity.name == name
