"""The search box's clauses (`query_syntax`) as an Elasticsearch `simple_query_string` that can
only do cheap things.

Every character `simple_query_string` would treat as an operator is escaped inside words, so
`*`, `~` and the like can never become prefix, fuzzy or proximity queries, and only SAFE_FLAGS
are enabled. Each alternative group is rendered in parentheses because `simple_query_string`
itself evaluates operators strictly left to right, while people expect `OR` to bind tighter.
"""

import re

from newswire_api.query_syntax import AllOf, AnyOf, Clause, Not, Phrase, Term, parse

# Flags the rendered query needs; PREFIX, FUZZY, NEAR and SLOP are left out on purpose.
SAFE_FLAGS = "AND|OR|NOT|PHRASE|PRECEDENCE|WHITESPACE|ESCAPE"

_SPECIAL = re.compile(r'([+|\-"*()~\\])')


def render(query: AllOf) -> str:
    """The `simple_query_string` text for `query`; empty when it has nothing to search for."""
    return " ".join(_render(clause) for clause in query.clauses)


def to_simple_query_string(text: str) -> str:
    return render(parse(text))


def _render(clause: Clause) -> str:
    match clause:
        case Term(text):
            return _SPECIAL.sub(r"\\\1", text)
        case Phrase(text):
            return '"' + _SPECIAL.sub(r"\\\1", text) + '"'
        case Not(inner):
            return "-" + _render_grouped(inner)
        case AnyOf(clauses):
            return "(" + " | ".join(_render(c) for c in clauses) + ")"
        case AllOf(clauses):
            return "(" + " ".join(_render(c) for c in clauses) + ")"


def _render_grouped(clause: Clause) -> str:
    rendered = _render(clause)
    return rendered if isinstance(clause, Term | Phrase | AnyOf | AllOf) else f"({rendered})"
