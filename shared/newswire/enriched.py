"""The public contract of `articles.enriched`: one version of a story per message, keyed by the
story's id; and the rules that fold a story's messages into its current state.

`schema_version` 2 (this module's `EnrichedArticle`): the key and `id` name the **story** (the
document's own identifier, else its inbox path), so every version, correction and kill of a story
shares one key; `content_sha256` names one version's content; `version_order` orders the versions
of a story; a kill is followed by a tombstone (a message with this key and no value). Version 1
(`EnrichedArticleV1`, ids of content) is still published on a legacy topic when configured, and
v1 messages are read as v2 (`EnrichedArticle.model_validate` upgrades them).

Within a schema version the model only ever gains optional fields; readers ignore fields they do
not know. `schemas/enriched-article.v<N>.json` is generated from it (`python -m newswire.enriched
[1] > …`) and a test fails when they drift. `docs/enriched-article.md` explains every field.

`Story` is the reference consumer of the topic: the latest version of a story by `version_order`,
what a tombstone does, when a story is withheld, embargoed or killed; the indexer keeps one per
key with exactly these rules, and the search API answers from them.
"""

import functools
import hashlib
import json
import sys
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    model_validator,
)

ENRICHED_ARTICLE_SCHEMA_VERSION: Literal[2] = 2

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


StoryStatus = Literal["usable", "withheld", "embargoed", "killed"]

# How many versions of a story its history keeps (the latest by `version_order`).
MAX_STORY_VERSIONS = 100
# `visible_from` of a story that is visible whenever asked: the epoch.
ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)
# `version_order`: the version number + 1 (0 without one) in this many digits, then times.
_VERSION_DIGITS = 20


class _ContractModel(BaseModel):
    # `ignore` rather than `forbid`: a reader built on an older version keeps working when fields
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


class _ProvenanceFields(_ContractModel):
    """The provenance fields of every schema version."""

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


class ProvenanceV1(_ProvenanceFields):
    """Where the article came from and what made it, to trace or replay any message."""

    model_config = ConfigDict(title="Provenance")


class Provenance(_ProvenanceFields):
    """Where the article came from and what made it, to trace or replay any message."""

    received_at: AwareDatetime = Field(
        description="When ingest read the complete file (UTC): the version's time when the "
        "document gives neither a version number nor a version time."
    )

    @model_validator(mode="before")
    @classmethod
    def _received_when_enriched_unless_known(cls, data: Any) -> Any:
        """A v1 provenance does not say when the file was received: its enrichment time stands
        in (the earliest time known of it)."""
        if isinstance(data, dict) and "received_at" not in data and "enriched_at" in data:
            return {**data, "received_at": data["enriched_at"]}
        return data


class _ArticleFields(_ContractModel):
    """The fields of every schema version, in their order on the wire."""

    schema_version: int
    id: str
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
    provenance: _ProvenanceFields
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


class EnrichedArticleV1(_ArticleFields):
    """One article, structured. Kafka topic `articles.enriched`, key: `id`."""

    model_config = ConfigDict(title="EnrichedArticle")

    schema_version: Literal[1] = 1
    id: str = Field(
        description="Stable article id: the raw file's sha256 for a one-article file; for "
        "JSON Lines and JSON arrays, the sha256 of the article object's canonical JSON."
    )
    provenance: ProvenanceV1

    @classmethod
    def of(cls, article: "EnrichedArticle") -> "EnrichedArticleV1":
        """The v1 message of a v2 article, as v1 consumers read it (legacy topic): its id is
        its content's sha256; the fields v1 does not have are left out."""
        return cls.model_validate(
            {**article.model_dump(), "schema_version": 1, "id": article.content_sha256}
        )


class EnrichedArticle(_ArticleFields):
    """One version of a story, structured. Kafka topic `articles.enriched`, key: `id`, the
    story's; a kill is followed by a tombstone (this key, no value)."""

    schema_version: Literal[2] = ENRICHED_ARTICLE_SCHEMA_VERSION
    id: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="The story's id, the same for all its versions: the sha256 of `story_key` "
        "(UTF-8). The Kafka key.",
    )
    provenance: Provenance
    story_key: str = Field(
        description="What identifies the story: `guid:` the document's own identifier, else "
        "`url:` its canonical URL, else `inbox:` the file's path relative to the inbox (with "
        "`#<item>` for an article of a several-article file)."
    )
    content_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="The identity of this version's content: the file's sha256 for a "
        "one-article file, else the sha256 of the item's canonical form (the v1 `id`).",
    )

    @computed_field(  # type: ignore[prop-decorator]
        description="Orders the versions of a story: of two messages with the same `id`, the "
        "one whose `version_order` is greater (as a plain string) is the later version."
    )
    @property
    def version_order(self) -> str:
        return version_order(self)

    @model_validator(mode="before")
    @classmethod
    def _read_v1(cls, data: Any) -> Any:
        """A v1 message (no story key) is read as the version of its story it is."""
        if (
            isinstance(data, dict)
            and "story_key" not in data
            and data.get("schema_version", 1) == 1
        ):
            return _upgraded_v1(data)
        return data

    @model_validator(mode="after")
    def _id_names_the_story(self) -> "EnrichedArticle":
        if self.id != story_id(self.story_key):
            raise ValueError(f"`id` {self.id} is not the sha256 of `story_key` {self.story_key!r}")
        return self


def story_key(guid: str | None, url: str | None, source_file: str, item: int | None) -> str:
    """The key of the story an article is a version of: the document's identifier, else its
    canonical URL, else where it was dropped (and which item of the file it is)."""
    if guid:
        return f"guid:{guid}"
    if url:
        return f"url:{url}"
    return f"inbox:{source_file}" + (f"#{item}" if item is not None else "")


def story_id(key: str) -> str:
    """The id of the story with this key: short, fixed, safe in URLs and as an index id."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _utc(moment: datetime) -> str:
    """A moment as fixed-width UTC text, so that comparing the texts compares the moments."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def version_order(article: EnrichedArticle) -> str:
    """(the version number, else none; the version time, else the time received; the time
    received; the time enriched; the content) as one comparable string. The document's version
    first, so a late older version never wins; the enrichment time before the content, so a
    re-enrichment of the same version replaces it; the content last, so two versions never tie.
    """
    received = article.provenance.received_at
    return _version_order(
        article.version,
        article.updated_at or received,
        received,
        article.provenance.enriched_at,
        article.content_sha256,
    )


@functools.lru_cache(maxsize=4096)
def _version_order(
    version: int | None, updated: datetime, received: datetime, enriched: datetime, content: str
) -> str:
    # Cached: the indexer asks for a version's order a few times per message (folding, the
    # story, the listing), and formatting the times was a tenth of its work.
    number = 0 if version is None else min(version + 1, 10**_VERSION_DIGITS - 1)
    return "|".join(
        (f"{number:0{_VERSION_DIGITS}d}", _utc(updated), _utc(received), _utc(enriched), content)
    )


def _field_of(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def _upgraded_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: the v1 id was the content's; the story key comes from the same fields enrich
    takes it from (received time: see `Provenance`)."""
    provenance = data.get("provenance")
    source_file = _field_of(provenance, "source_file")
    key = story_key(
        data.get("guid"),
        data.get("url"),
        source_file if isinstance(source_file, str) else "",
        _field_of(provenance, "item"),
    )
    return {
        **data,
        "schema_version": ENRICHED_ARTICLE_SCHEMA_VERSION,
        "id": story_id(key),
        "story_key": key,
        "content_sha256": data.get("id"),
    }


class StoryVersion(_ContractModel):
    """One version of a story as it was seen: what `GET /articles/{id}/versions` lists."""

    version: int | None = Field(description="The document's version number, if it gives one.")
    time: AwareDatetime = Field(description="The version's time: `updated_at`, else received.")
    received_at: AwareDatetime
    title: str
    content_sha256: str
    file_sha256: str = Field(description="sha256 of the file it came in (`provenance.sha256`).")
    source_file: str
    pub_status: PubStatus | None = None
    embargoed_until: AwareDatetime | None = None
    signals: list[str] = Field(default_factory=list)
    editorial_note: str | None = None
    version_order: str

    @classmethod
    def of(cls, article: EnrichedArticle) -> "StoryVersion":
        return cls(
            version=article.version,
            time=article.updated_at or article.provenance.received_at,
            received_at=article.provenance.received_at,
            title=article.title,
            content_sha256=article.content_sha256,
            file_sha256=article.provenance.sha256,
            source_file=article.provenance.source_file,
            pub_status=article.pub_status,
            embargoed_until=article.embargoed_until,
            signals=list(article.signals),
            editorial_note=article.editorial_note,
            version_order=article.version_order,
        )

    @property
    def identity(self) -> tuple[int | None, str]:
        """Versions with the same number and content are one version seen again."""
        return self.version, self.content_sha256


class Story(_ContractModel):
    """A story as a consumer of `articles.enriched` keeps it: the latest version by
    `version_order` and the history of versions. Folding a key's messages in log order with
    `with_version` and `with_tombstone` gives the same story after any redelivery of a suffix of
    the log (at-least-once), and a late older version never replaces a newer one."""

    id: str
    story_key: str | None = None
    current: EnrichedArticle | None = None
    deleted: bool = Field(default=False, description="A tombstone came after the current version.")
    first_seen: AwareDatetime | None = Field(
        default=None, description="The earliest time a version of it was received."
    )
    versions: list[StoryVersion] = Field(
        default_factory=list, description="Newest first, at most MAX_STORY_VERSIONS."
    )

    def with_version(self, article: EnrichedArticle) -> "Story":
        """The story once `article`, one of its versions, has been read."""
        seen = StoryVersion.of(article)
        versions = [v for v in self.versions if v.identity != seen.identity]
        same = [v for v in self.versions if v.identity == seen.identity]
        versions.append(max([seen, *same], key=lambda v: v.version_order))
        versions.sort(key=lambda v: v.version_order, reverse=True)
        first_seen = min(filter(None, (self.first_seen, article.provenance.received_at)))
        later = self.current is None or article.version_order >= self.current.version_order
        return Story(
            id=self.id,
            story_key=article.story_key,
            current=article if later else self.current,
            deleted=False if later else self.deleted,
            first_seen=first_seen,
            versions=versions[:MAX_STORY_VERSIONS],
        )

    def merged(self, other: "Story") -> "Story":
        """The story knowing what this one and `other`, another copy of it, know (copying
        stories between indices): the later current version, every version seen."""
        versions = {v.identity: v for v in self.versions}
        for version in other.versions:
            known = versions.get(version.identity)
            if known is None or version.version_order > known.version_order:
                versions[version.identity] = version
        mine = self.current.version_order if self.current else ""
        theirs = other.current.version_order if other.current else ""
        winner = other if theirs > mine else self
        return Story(
            id=self.id,
            story_key=winner.story_key or self.story_key or other.story_key,
            current=winner.current,
            deleted=(self.deleted or other.deleted) if theirs == mine else winner.deleted,
            first_seen=min(filter(None, (self.first_seen, other.first_seen)), default=None),
            versions=sorted(versions.values(), key=lambda v: v.version_order, reverse=True)[
                :MAX_STORY_VERSIONS
            ],
        )

    def with_tombstone(self) -> "Story":
        """The story once a tombstone for its key has been read: killed, whatever it was, until
        a version at least as late as its current one arrives."""
        return self.model_copy(update={"deleted": True})

    @property
    def status(self) -> StoryStatus:
        current = self.current
        if current is None or self.deleted or current.pub_status == "canceled":
            return "killed"
        if current.pub_status == "withheld":
            return "withheld"
        if current.embargoed:
            return "embargoed"
        return "usable"

    @property
    def visible_from(self) -> datetime | None:
        """From when it may be shown: ALWAYS, the end of its embargo, or None (not until a new
        version says so: withheld, embargoed until further notice, killed)."""
        status, current = self.status, self.current
        if status == "usable":
            return ALWAYS
        if status == "embargoed" and current is not None:
            return current.embargoed_until
        return None

    def is_visible(self, now: datetime) -> bool:
        visible_from = self.visible_from
        return visible_from is not None and visible_from <= now

    @property
    def claim(self) -> str | None:
        """The content it lists in search (now or once its embargo ends): the current
        version's, unless it is hidden until a new version."""
        if self.current is None or self.visible_from is None:
            return None
        return self.current.content_sha256

    @property
    def rank(self) -> tuple[datetime, str]:
        """Among stories listing the same content, the one ranked first lists it (exact
        duplicates are listed once): the first seen, then the lowest id."""
        return self.first_seen or ALWAYS, self.id

    @property
    def kill_reason(self) -> str | None:
        """Why the story is gone, for people; None unless it is killed."""
        if self.status != "killed":
            return None
        current = self.current
        if current is None or current.pub_status != "canceled":
            return "withdrawn: a tombstone for this story was published on articles.enriched"
        source = current.provider or "its source"
        version = f", version {current.version}" if current.version is not None else ""
        note = f": {current.editorial_note}" if current.editorial_note else ""
        return f"withdrawn by {source} (pubStatus canceled{version}){note}"

    @property
    def last_updated(self) -> datetime | None:
        """When its current version was made, once the story has more than one version."""
        if self.current is None or len(self.versions) < 2:
            return None
        return self.current.updated_at or self.current.provenance.received_at

    def version_of_file(self, file_sha256: str) -> StoryVersion | None:
        """The latest version of this story that came in the file with this sha256."""
        return next((v for v in self.versions if v.file_sha256 == file_sha256), None)


def enriched_article_json_schema(schema_version: int = ENRICHED_ARTICLE_SCHEMA_VERSION) -> str:
    """The committed JSON Schema's exact text: what readers of `articles.enriched` validate."""
    if schema_version == ENRICHED_ARTICLE_SCHEMA_VERSION:
        schema = EnrichedArticle.model_json_schema(mode="serialization")
    else:
        # The v1 classes carry a suffix here; their schema keeps the names v1 published.
        schema = _renamed(EnrichedArticleV1.model_json_schema(mode="serialization"), "V1")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _renamed(schema: Any, suffix: str) -> Any:
    """`schema` with the suffix taken off the names of its definitions and references."""
    if isinstance(schema, list):
        return [_renamed(item, suffix) for item in schema]
    if not isinstance(schema, dict):
        return schema
    renamed: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str):
            renamed[key] = value.removesuffix(suffix)
        elif key == "$defs" and isinstance(value, dict):
            renamed[key] = {
                name.removesuffix(suffix): _renamed(item, suffix) for name, item in value.items()
            }
        else:
            renamed[key] = _renamed(value, suffix)
    return renamed


if __name__ == "__main__":
    version = int(sys.argv[1]) if len(sys.argv) > 1 else ENRICHED_ARTICLE_SCHEMA_VERSION
    print(enriched_article_json_schema(version), end="")
