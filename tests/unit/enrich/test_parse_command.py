"""`newswire parse FILE…`: enriched JSON of local files, no Kafka."""

import json
from pathlib import Path

import pytest

from newswire_ops.cli import main


def test_parse_prints_one_enriched_article_per_line(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bbc = shared_dir / "corpora" / "bbc"
    files = [str(bbc / "business" / "001.txt"), str(bbc / "sport" / "199.txt")]
    assert main(["parse", "--inbox", str(bbc), *files]) == 0
    articles = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["title"], a["section"]) for a in articles] == [
        ("Ad sales boost Time Warner profit", "Business"),
        ("Chelsea sack Mutu", "Sport"),
    ]
    assert {"Chelsea", "Jose Mourinho"} <= {e["name"] for e in articles[1]["entities"]}


def test_parse_reports_files_it_cannot_enrich_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "good.md", tmp_path / "bad.json"
    good.write_text("# Good title\n\nBody text.\n")
    bad.write_text('{"title": ')
    assert main(["parse", "--pretty", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["title"] == "Good title"
    assert captured.err.startswith(f"{bad}: unparseable_article: invalid JSON at line 1")
