"""What holds for both search back-ends: each has every filter, and neither knows the other."""

import ast
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import newswire_api
from newswire_api.search.elasticsearch import filters as elasticsearch_filters
from newswire_api.search.embedded import filters as embedded_filters
from newswire_api.search_request import SearchParams

PACKAGE = Path(newswire_api.__file__).parent
# Parameters of a search that are not filters: what to find, its order, paging, facet width.
NOT_FILTERS = {"q", "sort", "interval", "size", "cursor"}
# One value per filter parameter: a new filter gets one here, then must exist on both back-ends.
FILTER_EXAMPLES: dict[str, Any] = {
    "section": ["World"],
    "entity": ["GPE:Iraq"],
    "language": ["en"],
    "author": ["Ann Lee"],
    "provider": ["Reuters"],
    "subject": ["medtop:11000000"],
    "from_date": date(2024, 9, 1),
    "to_date": date(2024, 9, 30),
}


def test_every_filter_parameter_filters_on_both_back_ends() -> None:
    assert set(SearchParams.model_fields) - NOT_FILTERS == set(FILTER_EXAMPLES)
    assert elasticsearch_filters.search_filters(SearchParams()) == []
    assert embedded_filters.search_conditions(SearchParams()) == []
    for field, value in FILTER_EXAMPLES.items():
        params = SearchParams.model_validate({field: value})
        assert elasticsearch_filters.search_filters(params), field
        assert embedded_filters.search_conditions(params), field


def test_both_back_ends_name_the_same_filters() -> None:
    def names(filters: tuple[Any, ...]) -> set[str]:
        return {search_filter.__name__ for search_filter in filters}

    assert names(elasticsearch_filters.SEARCH_FILTERS) == names(embedded_filters.SEARCH_FILTERS)
    assert names(elasticsearch_filters.ENTITIES_FILTERS) == names(embedded_filters.ENTITIES_FILTERS)


def _imports(path: Path) -> set[str]:
    """The modules a source file imports (from `import m` and `from m import x`)."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def _under(modules: set[str], *packages: str) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(f"{p}.") for p in packages)}


def test_neither_back_end_imports_the_other() -> None:
    for path in (PACKAGE / "search" / "embedded").rglob("*.py"):
        assert not _under(
            _imports(path),
            "newswire_api.search.elasticsearch",
            "elasticsearch",
            "elastic_transport",
        ), path
    for path in (PACKAGE / "search" / "elasticsearch").rglob("*.py"):
        assert not _under(
            _imports(path), "newswire_api.search.embedded", "newswire.embedded", "sqlite3"
        ), path


def test_only_the_elasticsearch_back_end_imports_the_elasticsearch_client() -> None:
    back_end = PACKAGE / "search" / "elasticsearch"
    for path in PACKAGE.rglob("*.py"):
        if back_end not in path.parents:
            assert not _under(_imports(path), "elasticsearch", "elastic_transport"), path


def test_the_embedded_mode_never_loads_the_elasticsearch_client(tmp_path: Path) -> None:
    program = (
        "import sys\n"
        "from pathlib import Path\n"
        "from newswire.settings import Settings\n"
        "from newswire_api.app import create_app\n"
        f"create_app(Settings(search_index='embedded', data_dir=Path({str(tmp_path)!r})))\n"
        "loaded = {'elasticsearch', 'elastic_transport'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60)
