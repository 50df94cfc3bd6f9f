"""What news-agency formats share: IPTC codes and statuses, read the same way for NewsML-G2,
NITF, NewsML 1.2 and ninjs, so that `pub_status`, `urgency`, `subjects`… mean one thing whatever
format brought them."""

import re
from collections.abc import Iterable

from newswire.enriched import Concept, PubStatus
from newswire_enrich.parsers.text import clean

# IPTC's scheme URIs and the aliases its catalog gives them, so that `medtop:20000523` is the code
# whether a document writes the qcode or the URI.
_SCHEME_ALIASES = {
    "http://cv.iptc.org/newscodes/mediatopic/": "medtop",
    "http://cv.iptc.org/newscodes/subjectcode/": "subj",
    "http://cv.iptc.org/newscodes/genre/": "genre",
    "http://cv.iptc.org/newscodes/signal/": "sig",
    "http://cv.iptc.org/newscodes/pubstatusg2/": "stat",
    "http://cv.iptc.org/newscodes/ninature/": "ninat",
}
_PUB_STATUSES: dict[str, PubStatus] = {
    "usable": "usable",
    "withheld": "withheld",
    "canceled": "canceled",
    "cancelled": "canceled",
}
_VERSION = re.compile(r"^\s*(\d{1,9})\s*$")
_URGENCY = re.compile(r"^\s*([1-9])\s*$")


def scheme_code(value: str | None) -> str | None:
    """The code part of a qcode or an IPTC URI: `stat:usable` → `usable`."""
    if not value:
        return None
    qcode = concept_code(value) or value
    return qcode.rpartition(":")[2].rstrip("/") or None


def concept_code(value: str | None, scheme: str | None = None) -> str | None:
    """A concept's code as `alias:code` when its scheme is one of IPTC's, else as given.

    `value` is a qcode (`medtop:20000523`), a URI, or a bare code whose scheme URI is `scheme`.
    """
    value = clean(value or "")
    if not value:
        return None
    if scheme:
        base = scheme if scheme.endswith("/") else scheme + "/"
        alias = _SCHEME_ALIASES.get(base.replace("https://", "http://"))
        return f"{alias}:{value}" if alias else f"{base}{value}"
    for base, alias in _SCHEME_ALIASES.items():
        for prefix in (base, base.replace("http://", "https://")):
            if value.startswith(prefix):
                return f"{alias}:{value.removeprefix(prefix).strip('/')}"
    return value


def concepts(pairs: Iterable[tuple[str | None, str | None]]) -> tuple[Concept, ...]:
    """Concepts from (code, name) pairs; empty ones and repeats are left out."""
    found: list[Concept] = []
    for code, name in pairs:
        concept = Concept(code=code or None, name=clean(name or "") or None)
        if (concept.code or concept.name) and concept not in found:
            found.append(concept)
    return tuple(found)


def pub_status(value: str | None) -> PubStatus | None:
    """`stat:usable`, `Usable`, `usable` → `usable`; an unknown status is left out."""
    code = scheme_code(value)
    return _PUB_STATUSES.get(code.lower()) if code else None


def urgency(value: object) -> int | None:
    """1 (highest) to 9 (lowest); anything else is left out."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else ""
    matched = _URGENCY.match(value) if isinstance(value, str) else None
    return int(matched.group(1)) if matched else None


def version(value: object) -> int | None:
    """A version number (ninjs writes it as a string); one that is not a number is left out."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    matched = _VERSION.match(value) if isinstance(value, str) else None
    return int(matched.group(1)) if matched else None


def signal(value: str | None) -> str | None:
    """`sig:correction` → `correction`; other schemes' codes are kept whole."""
    code = concept_code(value)
    if not code:
        return None
    return code.removeprefix("sig:").lower()
