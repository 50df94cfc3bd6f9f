# ruff: noqa: RUF001 (headlines are written as the pages write them: curly quotes, CJK punctuation)
"""How well Newswire reads real news web pages: title, date, authors and body against public
annotated page sets, read from folders given on the command line (never copied into this
repository: the pages belong to their publishers).

    python benchmarks/web_extraction.py [--readability DIR] [--newspaper4k DIR] [--newspaper DIR]
        [--goose3 DIR] [--json PATH] [--show-misses]

Each DIR is the test-data folder of a public project, as its repository has it:
  --readability  mozilla/readability `test/test-pages`: `<case>/source.html`,
                 `expected-metadata.json` (title, byline, publishedTime), `expected.html` (body)
  --newspaper4k  AndyTheFactory/newspaper4k `tests/data`: `html/<page>.html`,
                 `metadata/<page>.json` (title, authors, publish_date, text)
  --newspaper    codelucas/newspaper `tests/data`: `html/<page>.html`, `text/<page>.txt` (body)
  --goose3       goose3/goose3 `tests/data`: `content/<page>.html`, `content/<page>.json`
                 (title where given, the start of the cleaned text)

Figures per set and overall, each over the pages that annotate that field:
  title exact   the title equals the page's visible headline (`HEADLINES` below, read by hand
                from each news page; white space and quote marks normalised)
  date exact    the publication day equals the annotated one
  authors       the set of author names equals the annotated one (case and `By` ignored;
                `BYLINES` below corrects annotations that are not a by-line)
  body recall   share of the annotated body's words found in the body (multiset), mean; and the
                pages whose recall is under 0.5 (a story cut short)
  body precision  share of the body's words that are in the annotated body, mean
A page the parser refuses scores zero on every field it annotates.

The same script measures any version of the parser (`newswire_enrich.parsers.html.parse_html`):
run it from another checkout, or with PYTHONPATH pointing at one, for a before/after.
"""

import argparse
import html
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lxml import html as lxml_html  # type: ignore[import-untyped]

from newswire_enrich.article import ParsedArticle
from newswire_enrich.errors import ArticleRejectedError
from newswire_enrich.parsers.html import parse_html

_WORD = re.compile(r"\w+", re.UNICODE)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})
_AUTHOR_SEPARATORS = re.compile(r"\s*(?:;|,|\band\b|&|\|)\s*", re.IGNORECASE)
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_LOW_RECALL = 0.5

# The visible headline of each news page of the sets, read by hand from the page (its `h1`, or
# where the page has none, the headline it shows in its place); the sets' own `title` is often the
# `<title>` element, site name included, or an SEO title the reader never sees. Pages that are
# not news articles (the sets' synthetic test cases, product and section pages) are not listed.
HEADLINES = {
    "readability/002": "This API is so Fetching!",
    "readability/aclu": "Facebook Is Tracking Me Even Though I’m Not on Facebook",
    "readability/aktualne": "West Ham hrozí gigantům, okouzlil i Linekera. Součka je snadné "
    "přehlédnout",
    "readability/ars-1": "Just-released Minecraft exploit makes it easy to crash game servers",
    "readability/article-author-tag": "The Deck of Cards That Made Tarot A Global Phenomenon",
    "readability/bbc-1": "Obama admits US gun laws are his 'biggest frustration'",
    "readability/blogger": "Open Verilog flow for Silego GreenPak4 programmable logic devices",
    "readability/breitbart": "'Neutral' Snopes Fact-Checker David Emery: 'Are There Any "
    "Un-Angry Trump Supporters?'",
    "readability/bug-1255978": "The seven secrets that hotel owners don't want you to know",
    "readability/buzzfeed-1": "Student Dies After Diet Pills She Bought Online “Burned Her Up "
    "From Within”",
    "readability/citylab-1": "Why Neon Is the Ultimate Symbol of the 20th Century",
    "readability/cnet": "Zuckerberg offers peek at Facebook's acquisition strategies",
    "readability/cnet-svg-classes": "Twitter Lite se estrena en 11 países de América Latina",
    "readability/cnn": "The 'birth lottery' and economic mobility",
    "readability/daringfireball-1": "About This Site",
    "readability/dropbox-blog": "How we designed Dropbox ATF: an async task framework",
    "readability/ebb-org": "On Recent Controversial Events",
    "readability/ehow-1": "How to Build a Terrarium",
    "readability/ehow-2": "How to Throw a Graduation Party on a Budget",
    "readability/engadget": "Xbox One X review: A console that keeps up with gaming PCs",
    "readability/firefox-nightly-blog": "These Weeks in Firefox: Issue 85",
    "readability/folha": "Tite diz que errou ao levar taça da Libertadores a Lula em 2012",
    "readability/gitlab-blog": "3 surprising findings from our 2024 Global DevSecOps Survey",
    "readability/gmw": "宇航员在太空中喝酒会怎么样？后果很严重",
    "readability/google-sre-book-1": "Monitoring Distributed Systems",
    "readability/guardian-1": "'What is the sea telling us?': Māori tribes fearful over whale "
    "strandings",
    "readability/heise": "1Password für Mac generiert Einmal-Passwörter",
    "readability/herald-sun-1": "Angry media won’t buckle over new surveillance laws",
    "readability/iab-1": "Getting LEAN with Digital Ad UX",
    "readability/keep-images": "Inside the Deep Web Drug Lab",
    "readability/keep-tabular-data": "Friday Facts #282 - 0.17 in sight",
    "readability/la-nacion": "Una solución no violenta para la cuestión mapuche",
    "readability/lazy-image-1": "Node.js and CPU profiling on production (in real-time without "
    "downtime)",
    "readability/lazy-image-2": "The Spectacular Story Of Metroid, One Of Gaming's Richest "
    "Universes",
    "readability/lemonde-1": "Le projet de loi sur le renseignement massivement approuvé à "
    "l'Assemblée",
    "readability/liberation-1": "Un troisième Français mort dans le séisme au Népal",
    "readability/lifehacker-post-comment-load": "How to Program Your Mind to Stop Buying Crap "
    "You Don’t Need",
    "readability/lifehacker-working": "How to Program Your Mind to Stop Buying Crap You Don’t Need",
    "readability/links-in-tables": "Saving Data: Reducing the size of App Updates by 65%",
    "readability/lwn-1": "LWN.net Weekly Edition for March 26, 2015",
    "readability/medicalnewstoday": "How does the brain turn unconscious information into "
    "conscious thought?",
    "readability/medium-1": "The Open Journalism Project: Better Student Journalism",
    "readability/medium-2": "On Behalf of “Literally”",
    "readability/medium-3": "Samantha and The Great Big Lie",
    "readability/mercurial": "Evolve: Shared Mutable History",
    "readability/msn": "Nintendo's first iPhone game will launch in December for $10",
    "readability/nytimes-1": "United States to Lift Sudan Sanctions",
    "readability/nytimes-2": "Yahoo’s Sale to Verizon Leaves Shareholders With Little Say",
    "readability/nytimes-3": "Manhole Fires and Burst Pipes: How Winter Wreaks Havoc on What’s "
    "Underneath N.Y.C.",
    "readability/nytimes-4": "As Debt Rises, the Government Will Soon Spend More on Interest "
    "Than on the Military",
    "readability/pixnet": "新竹尖石_美樹營地賞楓 (2)",
    "readability/qq": "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶",
    "readability/quanta-1": "The Hidden Heroines of Chaos",
    "readability/royal-road": "ONE HUNDRED TWO: What kind of wordchain?",
    "readability/salon-1": "The sharing economy is a lie: Uber, Ayn Rand and the truth about "
    "tech and libertarians",
    "readability/schema-org-context-object": "South Korean president’s impeachment fails after "
    "ruling party lawmakers walk out",
    "readability/seattletimes-1": "Alaskan halibut, caught by a century-old Seattle boat, "
    "provides a glimpse of Amazon’s strategy with Whole Foods",
    "readability/simplyfound-1": "Raspberry Pi 3 - The credit card sized PC that cost only $35 - "
    "All-time bestselling computer in UK",
    "readability/spiceworks": "Rewriting Rules of Engagement with Video in 2020: Vidyard "
    "Introduces New Features on its Video Platform",
    "readability/telegraph": "Zimbabwe coup: Robert Mugabe and wife Grace 'insisting he "
    "finishes his term', as priest steps in to mediate",
    "readability/theverge": "Apple’s Vision Pro is the Retina display moment for headsets",
    "readability/tmz-1": "Lupita Nyong'o's $150K Pearl Oscar Dress -- STOLEN!!!",
    "readability/toc-missing": "Simple Anomaly Detection Using Plain SQL",
    "readability/topicseed-1": "Content Depth — Write Comprehensively About Your Core Topics",
    "readability/tumblr": "Minecraft 1.8 - The Bountiful Update",
    "readability/v8-blog": "Outside the web: standalone WebAssembly binaries using Emscripten",
    "readability/videos-1": "The 21 best movies of 2017",
    "readability/videos-2": "Screenshot : «Vape Wave», «6 Days», «Alphonse Président»…",
    "readability/wapo-1": "Attack stokes instability fears in North Africa",
    "readability/wapo-2": "Where do strained U.S.-Israeli relations go after Netanyahu’s victory?",
    "readability/webmd-1": "Babies Who Eat Peanuts Early May Avoid Allergy",
    "readability/webmd-2": "Superbugs: What They Are and How You Get Them",
    "readability/wikia": "‘Star Wars’ Original Cuts Might Get Released for 40th Anniversary",
    "readability/wikipedia": "Mozilla",
    "readability/wikipedia-2": "New Zealand",
    "readability/wikipedia-3": "Hermitian matrix",
    "readability/wikipedia-4": "List of films featuring time loops",
    "readability/wordpress": "Stack Overflow Jobs Data Shows ReactJS Skills in High Demand, "
    "WordPress Market Oversaturated with Developers",
    "readability/yahoo-1": "These are the 8 coolest PlayStation VR games",
    "readability/yahoo-2": "Russia: Space ship malfunctions, breaks up over Siberia",
    "readability/yahoo-3": "Veteran Wraps Baby in American Flag, Photo Sparks Controversy",
    "readability/yahoo-4": "トレンドマイクロ、公衆無線LANを安全に使うためのアプリ"
    "「フリーWi-Fiプロテクション」",
    "readability/youth": "海外留学生看两会：出国前后关注点大不同",
    "newspaper4k/arabic_article": "معارضون يسيطرون على مخازن للصواريخ بريف دمشق",
    "newspaper4k/article_with_br": "'The American friends': New court files expose Sheldon "
    "Adelson's security team involved in US spy operation against Julian Assange",
    "newspaper4k/article_with_divs": "Nollywood Actress, Kate Henshaw Is Looking Stunning In "
    "New Photos",
    "newspaper4k/chinese_article_001": "外国专家：中美合作共赢符合国际社会利益",
    "newspaper4k/chinese_article_002": "短缺药品保供稳价 全力保障临床用药需求",
    "newspaper4k/cleveland.com1": "Let me Google that for you: 2014's most popular food-related "
    "searches",
    "newspaper4k/cnn_001": "The nonstop sparring match between the conservative justice and "
    "liberal Biden attorney at the Supreme Court",
    "newspaper4k/cnn_002": "Takeaways from Donald Trump’s contentious testimony in his civil "
    "fraud trial",
    "newspaper4k/cnn_article": "After storm, forecasters see smooth sailing for Thanksgiving",
    "newspaper4k/cnn_test_nlp": "Gates on Tillerson and Russia: ‘Being friendly doesn’t make you "
    "friends’",
    "newspaper4k/fox13now_001": "New Year, new laws: Obamacare, pot, guns and drones",
    "newspaper4k/japanese_article": "米朝首脳直通電話 習氏に挑むトランプ戦術の成否",
    "newspaper4k/japanese_article2": "動画：ナイジェリアで少女らによる自爆攻撃、"
    "ロケット弾も撃ち込まれ31人死亡",
    "newspaper4k/spanish_article": "Anticorrupción decidirá en Madrid si recurre la imputación "
    "de la Infanta",
    "newspaper4k/thai_article": "ผล DNA ยืนยัน ศพลอยแม่น้ำโขงเป็นคนสนิท อ.สุรชัย",
    "newspaper4k/time_001": "We Need Geoengineering to Stop Out of Control Warming, Warns "
    "Climate Scientist James Hansen",
    "newspaper4k/video_article_01": "Let me Google that for you: 2014's most popular "
    "food-related searches",
    "newspaper4k/video_article_02": "Faker wins 4th title as T1 embody Heartsteel’s song to "
    "become your Worlds 2023 champion!",
    "newspaper4k/wired_001": "Intensified Israeli Surveillance Has Put the West Bank on Lockdown",
    "newspaper4k/yna_co_kr": "N. Korea slams S. Korea for joint military drill, warns of "
    "consequences",
}
# The by-line as the page shows it, where the set's annotation is not a by-line (dates, page
# furniture or the authors of other stories caught with it); None: the page names no person.
BYLINES: dict[str, list[str] | None] = {
    "readability/breitbart": ["Lucas Nolan"],
    "readability/ebb-org": ["Bradley M. Kuhn"],
    "readability/google-sre-book-1": ["Rob Ewaschuk"],
    "readability/lemonde-1": ["Martin Untersinger", "Damien Leloup", "Morgane Tual"],
    "readability/liberation-1": ["Sébastien Farcis"],
    "readability/lwn-1": ["Nathan Willis"],
    "readability/seattletimes-1": ["Benjamin Romano"],
    "readability/spiceworks": None,
    "readability/webmd-1": ["Brenda Goodman"],
    "readability/webmd-2": ["Kelli Miller"],
    "readability/yahoo-1": ["Ben Silverman"],
    "readability/yahoo-3": ["Gillian Mohney"],
    "readability/bbc-1": None,
    "readability/archive-of-our-own": None,
    "readability/wikipedia-2": None,
    "readability/wikipedia-3": None,
    "readability/wikipedia-4": None,
    "newspaper4k/wired_001": ["Tom Bennett"],
    "newspaper4k/video_article_01": None,
    "newspaper4k/yna_co_kr": None,
    "newspaper4k/japanese_article": None,
}


@dataclass
class Annotated:
    """One page and what its set says of it (None: not annotated)."""

    name: str
    html: str
    title: str | None = None
    day: date | None = None
    authors: frozenset[str] | None = None
    body: str | None = None


@dataclass
class Score:
    pages: int = 0
    refused: int = 0
    titles: list[bool] = field(default_factory=list)
    dates: list[bool] = field(default_factory=list)
    authors: list[bool] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    precisions: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def add(self, other: "Score") -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("readability", "newspaper4k", "newspaper", "goose3"):
        parser.add_argument(f"--{name}", type=Path, metavar="DIR")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--show-misses", action="store_true", help="print every wrong field")
    args = parser.parse_args()
    readers = {
        "readability": _readability,
        "newspaper4k": _newspaper4k,
        "newspaper": _newspaper,
        "goose3": _goose3,
    }
    chosen = {name: getattr(args, name) for name in readers if getattr(args, name)}
    if not chosen:
        parser.error("give at least one page set (see --help)")
    total = Score()
    figures: dict[str, dict[str, object]] = {}
    for name, folder in chosen.items():
        score = Score()
        for page in readers[name](folder):
            score.add(_score(page))
        total.add(score)
        figures[name] = _figures(score)
        _print(name, score)
    _print("all", total)
    figures["all"] = _figures(total)
    if args.show_misses:
        print("\n".join(total.misses))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


def _score(page: Annotated) -> Score:
    score = Score(pages=1)
    try:
        article: ParsedArticle | None = parse_html(page.html)
    except ArticleRejectedError as error:
        article = None
        score.refused = 1
        score.misses.append(f"{page.name}: refused: {error}")
    if page.title is not None:
        got = _normal(article.title) if article else ""
        score.titles.append(got == _normal(page.title))
        if not score.titles[-1]:
            score.misses.append(f"{page.name}: title {got!r} != {_normal(page.title)!r}")
    if page.day is not None:
        day = article.publication.day if article and article.publication else None
        score.dates.append(day == page.day)
        if day != page.day:
            score.misses.append(f"{page.name}: date {day} != {page.day}")
    if page.authors is not None:
        got_authors = _author_set(list(article.authors)) if article else frozenset()
        score.authors.append(got_authors == page.authors)
        if got_authors != page.authors:
            score.misses.append(
                f"{page.name}: authors {sorted(got_authors)} != {sorted(page.authors)}"
            )
    if page.body is not None:
        reference = Counter(_words(page.body))
        got_words = Counter(_words(" ".join(article.body))) if article else Counter()
        common = sum((reference & got_words).values())
        recall = common / max(1, sum(reference.values()))
        score.recalls.append(recall)
        score.precisions.append(common / max(1, sum(got_words.values())))
        if recall < _LOW_RECALL:
            score.misses.append(f"{page.name}: body recall {recall:.2f}")
    return score


def _figures(score: Score) -> dict[str, object]:
    def share(values: list[bool]) -> dict[str, object]:
        return {"right": sum(values), "of": len(values)}

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 3) if values else None

    return {
        "pages": score.pages,
        "refused": score.refused,
        "title_exact": share(score.titles),
        "date_exact": share(score.dates),
        "authors_exact": share(score.authors),
        "body_recall_mean": mean(score.recalls),
        "body_precision_mean": mean(score.precisions),
        "body_recall_under_half": sum(r < _LOW_RECALL for r in score.recalls),
        "bodies": len(score.recalls),
    }


def _print(name: str, score: Score) -> None:
    def share(values: list[bool]) -> str:
        if not values:
            return "      -     "
        return f"{sum(values):3d}/{len(values):<3d} {100 * sum(values) / len(values):3.0f}%"

    recall = sum(score.recalls) / len(score.recalls) if score.recalls else 0.0
    precision = sum(score.precisions) / len(score.precisions) if score.precisions else 0.0
    print(
        f"{name:12s} pages {score.pages:4d} refused {score.refused:3d} | title "
        f"{share(score.titles)} | date {share(score.dates)} | authors {share(score.authors)}"
        f" | body recall {recall:.3f} (under 0.5: {sum(r < _LOW_RECALL for r in score.recalls)}/"
        f"{len(score.recalls)}) precision {precision:.3f}"
    )


def _readability(folder: Path) -> Iterator[Annotated]:
    for case in sorted(path for path in folder.iterdir() if (path / "source.html").is_file()):
        expected = json.loads((case / "expected-metadata.json").read_text(encoding="utf-8"))
        name = f"readability/{case.name}"
        byline = expected.get("byline")
        yield Annotated(
            name=name,
            html=(case / "source.html").read_text(encoding="utf-8"),
            title=HEADLINES.get(name),
            day=_day(expected.get("publishedTime")),
            authors=_authors(name, [byline] if byline else None),
            body=_html_text((case / "expected.html").read_text(encoding="utf-8")),
        )


def _newspaper4k(folder: Path) -> Iterator[Annotated]:
    for metadata in sorted((folder / "metadata").glob("*.json")):
        page = folder / "html" / f"{metadata.stem}.html"
        if not page.is_file():
            continue
        expected = json.loads(metadata.read_text(encoding="utf-8"))
        name = f"newspaper4k/{metadata.stem}"
        yield Annotated(
            name=name,
            html=page.read_text(encoding="utf-8", errors="replace"),
            title=HEADLINES.get(name),
            day=_day(expected.get("publish_date")),
            authors=_authors(name, expected.get("authors") or None),
            body=expected.get("text") or None,
        )


def _newspaper(folder: Path) -> Iterator[Annotated]:
    for text in sorted((folder / "text").glob("*.txt")):
        page = folder / "html" / f"{text.stem}.html"
        if page.is_file():
            yield Annotated(
                name=f"newspaper/{text.stem}",
                html=page.read_text(encoding="utf-8", errors="replace"),
                body=text.read_text(encoding="utf-8", errors="replace"),
            )


def _goose3(folder: Path) -> Iterator[Annotated]:
    for expected_file in sorted((folder / "content").glob("*.json")):
        page = expected_file.with_suffix(".html")
        expected = json.loads(expected_file.read_text(encoding="utf-8")).get("expected", {})
        if not page.is_file() or not isinstance(expected, dict):
            continue
        yield Annotated(
            name=f"goose3/{expected_file.stem}",
            html=page.read_text(encoding="utf-8", errors="replace"),
            body=expected.get("cleaned_text") or None,  # the start of the text only
        )


def _authors(name: str, annotated: list[str] | None) -> frozenset[str] | None:
    names = BYLINES.get(name, annotated)
    return _author_set(names) if names else None


def _day(value: object) -> date | None:
    matched = _DAY.search(value) if isinstance(value, str) else None
    return date(*map(int, matched.groups())) if matched else None


def _html_text(markup: str) -> str:
    return " ".join(lxml_html.fromstring(markup).itertext()) if markup.strip() else ""


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", html.unescape(text)).translate(_QUOTES).split())


def _author_set(names: list[str]) -> frozenset[str]:
    """Names compared without case, `By` or the dots of initials (`Nelson D. Schwartz`)."""
    found = set()
    for name in names:
        for part in _AUTHOR_SEPARATORS.split(_normal(name)):
            plain = re.sub(r"^by\s+", "", part.strip(), flags=re.IGNORECASE).replace(".", "")
            if plain.strip():
                found.add(" ".join(plain.lower().split()))
    return frozenset(found)


def _words(text: str) -> list[str]:
    return _WORD.findall(_normal(text).lower())


if __name__ == "__main__":
    sys.exit(main())
