"""The search box's syntax: what people may type, parsed into clauses that each search back-end
renders in its own query language (Elasticsearch's `simple_query_string`, FTS5's MATCH).

People write words, `"exact phrases"`, `-excluded` words or phrases, `OR` (or `|`) between
alternatives and parentheses. Everything else is part of a word: no character a person types is
an operator of either back-end, since each back-end escapes or quotes every word it renders.

`OR` binds tighter than the implicit AND (`president Iran OR Iraq` means president AND (Iran OR
Iraq)), as in web search engines. Unbalanced quotes and parentheses are closed or dropped rather
than refused: a search box should not scold.

What a query may cost is bounded here, once for both back-ends: a clause repeated in the same
group is kept once (`s s s` searches `s`), doubled negations cancel out, parentheses nest at most
MAX_NESTING deep and at most MAX_TERMS words are searched (each word of a phrase counts). A query
past a limit raises `QueryTooComplexError`, whose message names the limit (a 422 for the client);
no input can make the parser or a renderer recurse deeper than the limits.
"""

import functools
import re
from dataclasses import dataclass

MAX_NESTING = 8
MAX_TERMS = 32
PARSED_QUERIES_KEPT = 1024

# What both back-ends' tokenizers split a word into (Elasticsearch's standard, FTS5's unicode61).
_WORD = re.compile(r"\w+")


class QueryTooComplexError(ValueError):
    """The query is past a limit of the syntax; the message names the limit and the fix."""


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


@functools.lru_cache(maxsize=PARSED_QUERIES_KEPT)
def parse(text: str) -> AllOf:
    """The query a person typed, as clauses, each repetition once; raises
    `QueryTooComplexError` past MAX_NESTING or MAX_TERMS, and never fails otherwise. Kept for
    the most recent queries: a request parses its `q` several times (validation, the cost plan,
    the back-end's rendering), and the clauses are immutable."""
    tokens = [match for match in _TOKEN.finditer(text) if match.lastgroup]
    parser = _Parser([(str(m.lastgroup), m.group(m.lastgroup or "")) for m in tokens])
    query = parser.all_of(top_level=True)
    if (words := searched_words(query)) > MAX_TERMS:
        raise QueryTooComplexError(
            f"`q` searches {words} words; at most {MAX_TERMS} are allowed (each word of a "
            "phrase counts, a repeated word once): leave some out"
        )
    return query


def searched_words(clause: "Clause") -> int:
    """How many words the back-ends search for: the words of each term and phrase."""
    match clause:
        case Term(text) | Phrase(text):
            return len(_WORD.findall(text))
        case Not(inner):
            return searched_words(inner)
        case AnyOf(clauses) | AllOf(clauses):
            return sum(searched_words(inner) for inner in clauses)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self._tokens = tokens
        self._position = 0
        self._depth = 0

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
        return AllOf(_each_once(clauses))

    def _any_of(self) -> Clause | None:
        first = self._unary()
        alternatives = [first] if first is not None else []
        while (token := self._peek()) is not None and _is_or(token):
            self._position += 1
            if (following := self._peek()) is None or _is_or(following) or following[1] == ")":
                continue
            if (clause := self._unary()) is not None:
                alternatives.append(clause)
        unique = _each_once(alternatives)
        if not unique:
            return None
        return unique[0] if len(unique) == 1 else AnyOf(unique)

    def _unary(self) -> Clause | None:
        """One operand with the negations before it (a loop, not recursion: `------a` and
        `NOT NOT … a` cost no stack); an even number of negations cancels out."""
        negations = 0
        while (token := self._peek()) is not None:
            kind, text = token
            if kind == "word" and text.startswith("-") and len(text) > 1:
                self._tokens[self._position] = ("word", text[1:])
                negations += 1
                continue
            self._position += 1
            if kind == "word" and text in {"NOT", "AND", "-"}:
                # A dash standing alone before a word is punctuation (`Iran - Iraq`), not NOT.
                if not self._operand_follows(word_allowed=text != "-"):
                    return None
                negations += text != "AND"
                continue
            if kind == "paren":  # "(": a group up to its ")" or the end
                clause = self._group()
            else:
                clause = _phrase(text) if kind == "phrase" else Term(text)
            if clause is None:
                return None
            return Not(clause) if negations % 2 else clause
        return None

    def _group(self) -> Clause | None:
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise QueryTooComplexError(
                f"`q` nests parentheses more than {MAX_NESTING} deep: remove some"
            )
        group = _simplest(self.all_of(top_level=False))
        self._depth -= 1
        return group

    def _operand_follows(self, word_allowed: bool) -> bool:
        following = self._peek()
        if following is None or _is_or(following) or following == ("paren", ")"):
            return False
        return word_allowed or following[0] != "word"


def _phrase(quoted: str) -> Phrase | None:
    words = " ".join(quoted.strip('"').split())
    return Phrase(words) if words else None


def _simplest(group: AllOf) -> Clause | None:
    if len(group.clauses) > 1:
        return group
    return group.clauses[0] if group.clauses else None


def _each_once(clauses: list[Clause]) -> tuple[Clause, ...]:
    """The clauses in order, without repetitions (ignoring case, as both back-ends do)."""
    unique: dict[object, Clause] = {}
    for clause in clauses:
        unique.setdefault(_identity(clause), clause)
    return tuple(unique.values())


def _identity(clause: Clause) -> object:
    match clause:
        case Term(text):
            return ("term", text.casefold())
        case Phrase(text):
            return ("phrase", text.casefold())
        case Not(inner):
            return ("not", _identity(inner))
        case AnyOf(clauses):
            return ("any", frozenset(_identity(inner) for inner in clauses))
        case AllOf(clauses):
            return ("all", frozenset(_identity(inner) for inner in clauses))


def _is_or(token: tuple[str, str]) -> bool:
    return token in {("word", "OR"), ("word", "|"), ("word", "||")}
