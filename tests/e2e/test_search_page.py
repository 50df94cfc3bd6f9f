"""The search page in a real headless Chromium (Debian's), against `python -m newswire_api`
serving the BBC corpus and the reference sample from a real Elasticsearch node and from the
embedded index: under the API's Content-Security-Policy (nothing it refuses may be needed), and
with API keys configured (the page asks for one, once per tab)."""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from newswire_ops.dev_services.server import free_port
from tests.support.search_corpus import BACKENDS, SearchCorpus, search_corpus

pytestmark = pytest.mark.integration

CHROMIUM = os.environ.get("NEWSWIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(
    request: pytest.FixtureRequest,
    elasticsearch_url: str,
    shared_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SearchCorpus]:
    data_dir = tmp_path_factory.mktemp("embedded-index")
    with search_corpus(request.param, elasticsearch_url, shared_dir, data_dir) as loaded:
        yield loaded


PAGE_KEY = "the-search-page-test-key-0123456789"


@pytest.fixture(scope="module")
def base_url(corpus: SearchCorpus) -> Iterator[str]:
    """The API started as `newswire run` / docker-compose start it, as its own process."""
    with _api_process(corpus, {}) as url:
        yield url


@pytest.fixture(scope="module")
def keyed_base_url(corpus: SearchCorpus) -> Iterator[str]:
    """The same API with an API key configured (by its digest)."""
    digest = f"sha256:{hashlib.sha256(PAGE_KEY.encode()).hexdigest()}"
    environment = {"NEWSWIRE_API_KEY_HASHES": f'["{digest}"]'}
    with _api_process(corpus, environment, {"Authorization": f"Bearer {PAGE_KEY}"}) as url:
        yield url


@contextmanager
def _api_process(
    corpus: SearchCorpus, extra: dict[str, str], headers: dict[str, str] | None = None
) -> Iterator[str]:
    port = free_port()
    if corpus.backend == "embedded":
        chosen = {
            "NEWSWIRE_SEARCH_INDEX": "embedded",
            "NEWSWIRE_DATA_DIR": str(corpus.settings.data_dir),
        }
    else:
        chosen = {
            "ELASTICSEARCH_URL": corpus.settings.elasticsearch_url,
            "NEWSWIRE_INDEX_ALIAS": corpus.settings.index_alias,
        }
    env = os.environ | chosen | extra
    command = [sys.executable, "-m", "newswire_api", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz", headers=headers).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the API process exited"
            assert time.monotonic() < deadline, "the API did not become ready"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@contextmanager
def _opened(browser: Browser, url: str) -> Iterator[Page]:
    """A new tab on `url`; fails if a script failed or the Content-Security-Policy refused
    anything the page asked for (Chromium reports each refusal on the console)."""
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield opened
    context.close()
    assert errors == []


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    with _opened(browser, base_url) as opened:
        yield opened


def _search_settled(page: Page) -> None:
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")


def _total(page: Page) -> int:
    match = re.match(r"([\d,]+)", page.locator("#status").inner_text())
    assert match, page.locator("#status").inner_text()
    return int(match.group(1).replace(",", ""))


def test_typing_a_query_shows_highlighted_results(page: Page) -> None:
    page.goto("/")
    page.locator("#q").fill("pezeshkian OR iraq")
    page.locator("#q").press("Enter")
    _search_settled(page)
    expect(page.locator("#status")).to_contain_text("articles")
    first = page.locator(".result").first
    expect(first.locator("h3")).to_have_text(
        "Iran's Pezeshkian visits Iraq in his first foreign trip as president"
    )
    expect(first.locator("mark").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=pezeshkian\+OR\+iraq"))


def test_clicking_a_section_facet_narrows_the_list(page: Page) -> None:
    page.goto("/?q=government")
    _search_settled(page)
    before = _total(page)
    politics = page.locator('.facet[data-facet="sections"] li button', has_text="Politics")
    facet_count = int(politics.locator(".count").inner_text().replace(",", ""))
    politics.click()
    _search_settled(page)
    expect(page.locator("#active-filters")).to_contain_text("section: Politics")
    after = _total(page)
    assert after == facet_count
    assert after < before
    sections = page.locator(".result .meta").all_inner_texts()
    assert sections
    assert all(meta.startswith("Politics") for meta in sections)
    page.go_back()  # the search lives in the URL
    _search_settled(page)
    assert _total(page) == before


def test_an_article_view_shows_its_entities_and_one_click_filters_by_them(page: Page) -> None:
    page.goto("/?q=pezeshkian")
    _search_settled(page)
    expect(page.locator("#timeline rect")).to_have_count(1)  # the sample's month
    page.locator(".result h3 button").first.click()
    article = page.locator("#article")
    expect(article.locator("h2")).to_have_text(
        "Iran's Pezeshkian visits Iraq in his first foreign trip as president"
    )
    entity = article.locator(".entities button", has_text="Abbas Araqchi")
    expect(entity).to_be_visible()
    entity.click()
    _search_settled(page)
    expect(article).to_be_hidden()
    expect(page.locator("#status")).to_have_text(re.compile(r"^1 article\b"))
    expect(page.locator("#active-filters")).to_contain_text("Abbas Araqchi")


def test_the_page_is_served_under_a_strict_content_security_policy(page: Page) -> None:
    response = page.goto("/?q=pezeshkian")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    _search_settled(page)
    expect(page.locator(".result mark").first).to_be_visible()
    expect(page.locator("#timeline rect")).to_have_count(1)  # the SVG drawn by the script


def test_the_interactive_docs_load_from_the_api_itself(page: Page, base_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Newswire search API")
    assert requested
    assert all(url.startswith(base_url) or url.startswith("data:") for url in requested)


def test_with_keys_the_page_asks_for_one_once_and_keeps_it_for_the_tab(
    browser: Browser, keyed_base_url: str
) -> None:
    with _opened(browser, keyed_base_url) as tab:
        tab.goto("/?q=pezeshkian")
        dialog = tab.locator("#key-dialog")
        expect(dialog).to_be_visible()
        tab.locator("#key").fill(PAGE_KEY)
        tab.locator("#key-form button").click()
        _search_settled(tab)
        expect(tab.locator(".result h3").first).to_contain_text("Pezeshkian")
        tab.goto("/?q=iraq")  # a new page load in the same tab: the key is remembered
        _search_settled(tab)
        expect(dialog).to_be_hidden()
        assert _total(tab) >= 1
