"""What a search will cost, estimated before it runs, and what is done about it: one model for
both back-ends, which differ only in where they read the numbers.

Both back-ends spend a search's time in three places (measured on the probe's query, issue 27:
32 common words OR-ed, `size=100&interval=day`):

- **matching and scoring**: each searched word's articles are read, and scored for that word, so
  a search *reads* the sum of its words' document frequencies (articles holding the word).
  Divided by the articles indexed, that is its **breadth**: 1 reads the index once; the probe's
  query read it about 20 times. `max_breadth` bounds it (else 422 naming the limit).
- **highlighting**: each hit of the page, for each word searched: `size` x words, bounded by
  `max_size_times_words` (else 422). The probe's page of 100 with 32 words spent two thirds
  (embedded) to three quarters (Elasticsearch) of its time there.
- **facets and the timeline**: every matching article is counted. A search whose words may match
  more than `facet_sample` articles counts them over its `facet_sample` best matches only, as
  Elasticsearch's `sampler` aggregation does, and the response says so (`facets.sample`).

The document frequencies come from the index itself before the search runs (the FTS5 vocabulary
table; Elasticsearch's term statistics), kept a minute in `DocumentFrequencies`: broad queries
are made of the index's most common words, and those change little in a minute. The estimate
of the matches is an upper bound (an alternative adds its articles, a conjunction or phrase has
at most its rarest word's), so a search estimated below the sample never needed one.
Pure: no I/O (the back-ends pass in what reads their index).
"""

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from newswire.settings import Settings
from newswire_api.query_syntax import AllOf, AnyOf, Clause, Not, Phrase, Term, parse
from newswire_api.search.model import STOP_WORDS, WORD
from newswire_api.search_request import InvalidSearchError, SearchParams

FREQUENCIES_TTL_S = 60.0
REMEMBERED_WORDS = 50_000

TOO_BROAD = (
    "`q` is too broad: its words are in {breadth:.1f} times as many articles as the index holds "
    "(each word counted in every article it is in); at most {limit:g} "
    "(NEWSWIRE_API_MAX_QUERY_BREADTH): leave out common words or alternatives"
)
PAGE_TOO_LARGE = (
    "`size` {size} x {words} words searched is {product:,}; at most {limit:,} "
    "(NEWSWIRE_API_MAX_SIZE_TIMES_WORDS: each hit is highlighted for each word): ask for a page "
    "of at most {largest_page} or search fewer words"
)


@dataclass(frozen=True)
class CostLimits:
    max_breadth: float
    max_size_times_words: int
    facet_sample: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "CostLimits":
        return cls(
            max_breadth=settings.api_max_query_breadth,
            max_size_times_words=settings.api_max_size_times_words,
            facet_sample=settings.api_facet_sample_size,
        )


@dataclass(frozen=True)
class IndexStatistics:
    """The articles indexed, and how many hold each word (absent: none)."""

    articles: int
    frequencies: Mapping[str, int]

    def frequency(self, word: str) -> int:
        return self.frequencies.get(word, 0)


@dataclass(frozen=True)
class SearchPlan:
    """How a search runs: `facet_sample` is the number of best matches its facets are counted
    over (None: every match)."""

    facet_sample: int | None = None


def searched_words(q: str | None) -> list[str]:
    """The distinct words `q` makes the index read, as both tokenizers split and lower-case
    them; stop words, which neither back-end searches, left out."""
    found = dict.fromkeys(word.lower() for word in WORD.findall(_text_of(parse(q or ""))))
    return [word for word in found if word not in STOP_WORDS]


def plan_search(
    params: SearchParams, statistics_of: "StatisticsOf", limits: CostLimits
) -> SearchPlan:
    """The plan for `params`. The page's size is checked first; then `statistics_of` is asked
    for the document frequencies of its words (None: unknown, then only the size counts).
    Raises InvalidSearchError (422) past a limit."""
    words = searched_words(params.q)
    if not words:
        return SearchPlan()
    if params.size * len(words) > limits.max_size_times_words:
        raise InvalidSearchError(
            PAGE_TOO_LARGE.format(
                size=params.size,
                words=len(words),
                product=params.size * len(words),
                limit=limits.max_size_times_words,
                largest_page=max(1, limits.max_size_times_words // len(words)),
            )
        )
    statistics = statistics_of(words)
    if statistics is None or statistics.articles <= 0:
        return SearchPlan()
    breadth = sum(statistics.frequency(word) for word in words) / statistics.articles
    if breadth > limits.max_breadth:
        raise InvalidSearchError(TOO_BROAD.format(breadth=breadth, limit=limits.max_breadth))
    matches = _matches(parse(params.q or ""), statistics)
    sampled = matches is not None and matches > limits.facet_sample and params.cursor is None
    return SearchPlan(facet_sample=limits.facet_sample if sampled else None)


def _matches(clause: Clause, statistics: IndexStatistics) -> int | None:
    """At most how many articles `clause` matches (None: it does not narrow the articles)."""
    match clause:
        case Term(text) | Phrase(text):
            words = [w for w in (w.lower() for w in WORD.findall(text)) if w not in STOP_WORDS]
            return min((statistics.frequency(w) for w in words), default=None)
        case Not():
            return None
        case AnyOf(clauses):
            each = [_matches(inner, statistics) for inner in clauses]
            if any(count is None for count in each):
                return None
            return min(statistics.articles, sum(count or 0 for count in each))
        case AllOf(clauses):
            narrowing = [
                count for inner in clauses if (count := _matches(inner, statistics)) is not None
            ]
            return min(narrowing, default=None)


def _text_of(clause: Clause) -> str:
    match clause:
        case Term(text) | Phrase(text):
            return text
        case Not(inner):
            return _text_of(inner)
        case AnyOf(clauses) | AllOf(clauses):
            return " ".join(_text_of(inner) for inner in clauses)


ReadStatistics = Callable[[list[str]], IndexStatistics]
StatisticsOf = Callable[[list[str]], IndexStatistics | None]


class DocumentFrequencies:
    """The index's size and its words' document frequencies as a back-end reads them, each
    kept for `ttl_s`: a search asks the index only for the words not read lately."""

    def __init__(
        self, ttl_s: float = FREQUENCIES_TTL_S, clock: Callable[[], float] = time.monotonic
    ):
        self._ttl_s = ttl_s
        self._clock = clock
        self._frequencies: dict[str, tuple[int, float]] = {}
        self._articles: tuple[int, float] | None = None
        self._lock = threading.Lock()

    def of(self, words: Iterable[str], read: ReadStatistics) -> IndexStatistics:
        """The statistics of `words`; `read` is asked for those not known (or stale)."""
        now = self._clock()
        wanted = list(dict.fromkeys(words))
        with self._lock:
            known = {
                word: found[0]
                for word in wanted
                if (found := self._frequencies.get(word)) and now - found[1] < self._ttl_s
            }
            articles = (
                self._articles[0]
                if self._articles and now - self._articles[1] < self._ttl_s
                else None
            )
        missing = [word for word in wanted if word not in known]
        if missing or articles is None:
            fresh = read(missing)
            articles = fresh.articles
            known |= {word: fresh.frequency(word) for word in missing}
            with self._lock:
                if len(self._frequencies) + len(missing) > REMEMBERED_WORDS:
                    self._frequencies.clear()  # rare: the next searches read their words again
                self._frequencies.update((word, (known[word], now)) for word in missing)
                self._articles = (articles, now)
        return IndexStatistics(articles, known)
