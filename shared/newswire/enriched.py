"""The public contract of `articles.enriched`: one structured article per message, keyed by its id.

Other teams build on this model, so within `schema_version` 1 it only ever gains optional fields;
readers ignore fields they do not know. `schemas/enriched-article.v1.json` is generated from it
(`python -m newswire.enriched > schemas/enriched-article.v1.json`) and a test fails when the two
drift. `docs/enriched-article.md` explains every field.
"""

import json
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ENRICHED_ARTICLE_SCHEMA_VERSION: Literal[1] = 1

ArticleFormat = Literal[
    "header-text",
    "plain-text",
    "markdown",
    "json",
    "json-lines",
    "html",
    "newsml-g2",
    "nitf",
    "newsml-1",
    "ninjs",
    "news-please",
    "rss",
    "atom",
    "json-feed",
    "email",
    "docx",
    "pdf",
]
EntityLabel = Literal["PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT"]
TextField = Literal["title", "standfirst", "image_caption", "body"]
PubStatus = Literal["usable", "withheld", "canceled"]


class _ContractModel(BaseModel):
    # `ignore` rather than `forbid`: a reader built on an older v1 keeps working when fields
    # are added.
    model_config = ConfigDict(frozen=True, extra="ignore")


class TextSpan(_ContractModel):
    """Where a piece of text sits in the article: a field, and for `body` which paragraph."""

    field: TextField
    paragraph: int | None = Field(
        default=None, ge=0, description="0-based index into `body` when `field` is `body`."
    )
    start: int = Field(ge=0, description="Character offset of the first character.")
    end: int = Field(ge=0, description="Character offset just past the last character.")


class Entity(_ContractModel):
    """A named thing the article mentions, with every alias merged into one entry."""

    label: EntityLabel = Field(
        description="PERSON people; ORG organisations; GPE countries, cities, states; "
        "LOC other locations; NORP nationalities, religious and political groups; EVENT events."
    )
    name: str = Field(description="The fullest surface form, e.g. `Masoud Pezeshkian`.")
    surface_forms: list[str] = Field(
        description="Every distinct way the article writes it, in order of first use."
    )
    count: int = Field(ge=1, description="Number of mentions in title, standfirst, caption, body.")
    first_mention: TextSpan = Field(description="Where the first mention is.")


class Concept(_ContractModel):
    """A term of a controlled vocabulary (or a free one): its code, its name, or both."""

    code: str | None = Field(
        default=None,
        description="Scheme alias and code, e.g. `medtop:20000523` (IPTC Media Topic), "
        "`subj:04000000` (IPTC Subject Code), or the concept's URI when its scheme has no alias.",
    )
    name: str | None = Field(default=None, description="Its name as the document gives it.")


class Place(_ContractModel):
    """Where a story was filed (NewsML-G2 `located`, the dateline's place)."""

    name: str | None = Field(default=None, description="The place, e.g. `Berlin`.")
    code: str | None = Field(default=None, description="Its code, e.g. `geo:345678`.")
    country: str | None = Field(
        default=None, description="The country it is in, by name (or code when only that is given)."
    )


class Provenance(_ContractModel):
    """Where the article came from and what made it, to trace or replay any message."""

    raw_article_id: str = Field(description="Key of the `articles.raw` message it came from.")
    source_file: str = Field(description="Path of the dropped file relative to the inbox.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the file's bytes.")
    item: int | None = Field(
        default=None,
        ge=1,
        description="For files holding several articles: the 1-based line (JSON Lines) or "
        "position (JSON array) of this one.",
    )
    format: ArticleFormat = Field(description="Input format the article was parsed as.")
    parser_version: str = Field(description="Version of the newswire package that parsed it.")
    ner_model: str = Field(description="spaCy pipeline that found the entities, name-version.")
    spacy_version: str
    enriched_at: AwareDatetime = Field(description="When the article was enriched (UTC).")


class EnrichedArticle(_ContractModel):
    """One article, structured. Kafka topic `articles.enriched`, key: `id`."""

    schema_version: Literal[1] = ENRICHED_ARTICLE_SCHEMA_VERSION
    id: str = Field(
        description="Stable article id: the raw file's sha256 for a one-article file; for "
        "JSON Lines and JSON arrays, the sha256 of the article object's canonical JSON."
    )
    title: str
    standfirst: str | None = Field(
        default=None, description="The summary line the document itself gives, if any."
    )
    summary: str | None = Field(
        default=None, description="The standfirst, or else the body's lead sentence."
    )
    body: list[str] = Field(description="Body paragraphs in reading order, plain text.")
    publication_date: date | None = Field(
        default=None,
        description="Day of publication from the document's own fields; absent when it has none.",
    )
    published_at: AwareDatetime | None = Field(
        default=None,
        description="Moment of publication, only when the document gives a time and time zone.",
    )
    section: str | None = Field(
        default=None, description="Section, e.g. `World`: the document's, else the inbox folder's."
    )
    section_source: Literal["document", "inbox_folder"] | None = None
    reading_time_minutes: int = Field(ge=0)
    reading_time_source: Literal["document", "word_count"]
    word_count: int = Field(ge=0, description="Whitespace-separated words in the body.")
    language: str | None = Field(
        default=None, description="ISO 639-1 code of the detected language; absent if unsure."
    )
    image_caption: str | None = None
    image_credit: str | None = None
    related_titles: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    url: str | None = None
    tags: list[str] = Field(default_factory=list)
    entities: list[Entity] = Field(
        default_factory=list, description="Named entities, most mentioned first."
    )
    provenance: Provenance
    # What wire formats, feeds and structured pages carry besides the story itself: story
    # identity and versions, status, embargo, rights and classification.
    guid: str | None = Field(
        default=None,
        description="The source's own identifier of the story, the same for all its versions.",
    )
    version: int | None = Field(
        default=None, ge=0, description="Version number of the story the source gives."
    )
    provider: str | None = Field(
        default=None, description="Who supplied the article: agency, publisher, feed or site."
    )
    updated_at: AwareDatetime | None = Field(
        default=None, description="When this version was made or last modified, with a time zone."
    )
    content_created: AwareDatetime | None = Field(
        default=None, description="When the content itself was created, if the source says."
    )
    embargoed: bool = Field(
        default=False,
        description="The source forbids publication before `embargoed_until`, or until further "
        "notice when that is null.",
    )
    embargoed_until: AwareDatetime | None = Field(
        default=None, description="End of the embargo, when `embargoed` names one."
    )
    pub_status: PubStatus | None = Field(
        default=None, description="Publishing status the source gives (IPTC `pubStatus`)."
    )
    signals: list[str] = Field(
        default_factory=list,
        description="Processing signals of this version, e.g. `update`, `correction`.",
    )
    urgency: int | None = Field(
        default=None, ge=1, le=9, description="Editorial urgency, 1 (highest) to 9 (lowest)."
    )
    slugline: str | None = Field(default=None, description="The desk's short label of the story.")
    dateline: str | None = Field(
        default=None, description="The dateline as written, e.g. `MOSCOW, Monday (Reuters)`."
    )
    located: Place | None = Field(default=None, description="Where the story was filed.")
    subjects: list[Concept] = Field(
        default_factory=list, description="Subject classification, e.g. IPTC Media Topics."
    )
    genres: list[Concept] = Field(
        default_factory=list, description="Journalistic genre, e.g. `Interview`, `Analysis`."
    )
    copyright: str | None = Field(default=None, description="Copyright notice or holder.")
    usage_terms: str | None = Field(default=None, description="Rights and usage terms as stated.")
    editorial_note: str | None = Field(
        default=None, description="Note to editors that comes with the story (not for readers)."
    )


def enriched_article_json_schema() -> str:
    """The committed JSON Schema's exact text: what readers of `articles.enriched` validate."""
    schema = EnrichedArticle.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(enriched_article_json_schema(), end="")
