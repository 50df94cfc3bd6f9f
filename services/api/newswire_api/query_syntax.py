"""The search box's syntax: what people may type, parsed into clauses that each search back-end
renders in its own query language (Elasticsearch's `simple_query_string`, FTS5's MATCH).

People write words, `"exact phrases"`, `-excluded` words or phrases, `OR` (or `|`) between
alternatives and parentheses. Everything else is part of a word: no character a person types is
an operator of either back-end, since each back-end escapes or quotes every word it renders.

`OR` binds tighter than the implicit AND (`president Iran OR Iraq` means president AND (Iran OR
Iraq)), as in web search engines. Unbalanced quotes and parentheses are closed or dropped rather
than refused: a search box should not scold.
"""

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<paren>[()])|(?P<word>[^\s"()]+))')


@dataclass(frozen=True)
class Term:
    text: str


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Not:
    clause: "Clause"


@dataclass(frozen=True)
class AnyOf:
    """Alternatives: at least one must match."""

    clauses: tuple["Clause", ...]


@dataclass(frozen=True)
class AllOf:
    """Every clause must match (the implicit operator between words)."""

    clauses: tuple["Clause", ...]


Clause = Term | Phrase | Not | AnyOf | AllOf


def parse(text: str) -> AllOf:
    """The query a person typed, as clauses; never fails."""
    tokens = [match for match in _TOKEN.finditer(text) if match.lastgroup]
    parser = _Parser([(str(m.lastgroup), m.group(m.lastgroup or "")) for m in tokens])
    return parser.all_of(top_level=True)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self._tokens = tokens
        self._position = 0

    def _peek(self) -> tuple[str, str] | None:
        return self._tokens[self._position] if self._position < len(self._tokens) else None

    def all_of(self, top_level: bool) -> AllOf:
        clauses: list[Clause] = []
        while (token := self._peek()) is not None:
            if token == ("paren", ")"):
                self._position += 1
                if top_level:
                    continue  # a stray closing parenthesis: ignore it
                break
            if _is_or(token):
                self._position += 1  # a leading or doubled OR has nothing to join
                continue
            if (clause := self._any_of()) is not None:
                clauses.append(clause)
        return AllOf(tuple(clauses))

    def _any_of(self) -> Clause | None:
        first = self._unary()
        alternatives = [first] if first is not None else []
        while (token := self._peek()) is not None and _is_or(token):
            self._position += 1
            if (following := self._peek()) is None or _is_or(following) or following[1] == ")":
                continue
            if (clause := self._unary()) is not None:
                alternatives.append(clause)
        if not alternatives:
            return None
        return alternatives[0] if len(alternatives) == 1 else AnyOf(tuple(alternatives))

    def _unary(self) -> Clause | None:
        token = self._peek()
        if token is None:
            return None
        kind, text = token
        if kind == "word" and text.startswith("-") and len(text) > 1:
            self._tokens[self._position] = ("word", text[1:])
            return _negate(self._unary())
        self._position += 1
        if kind == "word" and text in {"NOT", "AND", "-"}:
            # A dash standing alone before a word is punctuation (`Iran - Iraq`), not NOT.
            if not self._operand_follows(word_allowed=text != "-"):
                return None
            clause = self._unary()
            return clause if text == "AND" else _negate(clause)
        if kind == "paren":  # "(": a group up to its ")" or the end
            return _simplest(self.all_of(top_level=False))
        return _phrase(text) if kind == "phrase" else Term(text)

    def _operand_follows(self, word_allowed: bool) -> bool:
        following = self._peek()
        if following is None or _is_or(following) or following == ("paren", ")"):
            return False
        return word_allowed or following[0] != "word"


def _phrase(quoted: str) -> Phrase | None:
    words = quoted.strip('"').strip()
    return Phrase(words) if words else None


def _simplest(group: AllOf) -> Clause | None:
    if len(group.clauses) > 1:
        return group
    return group.clauses[0] if group.clauses else None


def _negate(clause: Clause | None) -> Clause | None:
    return Not(clause) if clause is not None else None


def _is_or(token: tuple[str, str]) -> bool:
    return token in {("word", "OR"), ("word", "|"), ("word", "||")}
