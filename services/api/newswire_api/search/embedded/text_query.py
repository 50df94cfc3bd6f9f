"""The search box's clauses (`query_syntax`) as FTS5 MATCH expressions.

Every word and phrase is written as a quoted FTS5 string, so nothing a person types is FTS5
syntax; only the AND, OR, NOT and parentheses written here are. What differs from Elasticsearch:
- English stop words are dropped from queries (Elasticsearch drops them at analysis); a query
  made only of stop words or punctuation matches nothing, as there.
- A negation inside an OR (`a OR -b`) is ignored; top-level negations work as in Elasticsearch.
"""

import re
from collections.abc import Sequence

from newswire_api.query_syntax import AllOf, AnyOf, Clause, Not, Phrase, Term, parse
from newswire_api.search.model import STOP_WORDS, WORD

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class TextQuery:
    """What a `q` asks of the full-text index: `match` (None: every article) and `exclude`
    (None: nothing), each an FTS5 expression."""

    def __init__(self, q: str | None) -> None:
        parsed = parse(q or "")
        self.given = bool(parsed.clauses)
        self.match, self.exclude = _split(parsed.clauses)
        if self.match is not None and self.exclude is not None:
            self.match, self.exclude = f"({self.match}) NOT {self.exclude}", None
        # Words were typed, but none that can match (stop words, punctuation): no results.
        self.matches_nothing = self.given and self.match is None and self.exclude is None


def _quoted(text: str) -> str | None:
    """A quoted FTS5 string (a phrase of its tokens), or None when it has no word in it.

    NUL ends a string inside SQLite's FTS5 parser ("unterminated string", found by the fuzz
    test), and no control character is part of a word anyway: they become spaces."""
    text = _CONTROL.sub(" ", text)
    return '"' + text.replace('"', '""') + '"' if WORD.search(text) else None


def _expression(clause: Clause) -> str | None:
    """The FTS5 expression matching `clause`; None when it cannot match anything by itself."""
    match clause:
        case Term(text):
            return None if text.casefold() in STOP_WORDS else _quoted(text)
        case Phrase(text):
            return _quoted(text)
        case Not():
            return None  # only meaningful next to something positive: see AllOf
        case AnyOf(clauses):
            parts = [part for c in clauses if (part := _expression(c)) is not None]
            return "(" + " OR ".join(parts) + ")" if parts else None
        case AllOf(clauses):
            positive, negative = _split(clauses)
            if positive is None:
                return None
            return f"({positive} NOT {negative})" if negative else f"({positive})"


def _split(clauses: Sequence[Clause]) -> tuple[str | None, str | None]:
    """(what must match, what must not), each an FTS5 expression or None."""
    positive = [e for c in clauses if not isinstance(c, Not) and (e := _expression(c))]
    negative = [e for c in clauses if isinstance(c, Not) and (e := _expression(c.clause))]
    return (
        " AND ".join(positive) if positive else None,
        "(" + " OR ".join(negative) + ")" if negative else None,
    )
