"""A supervised service's output in a log of its own, rotated by size."""

import subprocess
import sys
from pathlib import Path

from newswire_ops.service_logs import ServiceLog


def test_a_child_s_output_is_logged_line_by_line_and_rotated_by_size(tmp_path: Path) -> None:
    log = ServiceLog(tmp_path / "ingest.log", max_bytes=1000, backups=2)
    child = subprocess.Popen(
        [sys.executable, "-c", "for n in range(100): print(f'line {n:03} ' + 'x' * 40)"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert child.stdout is not None
    log.follow(child.stdout).join(10)
    child.wait(10)
    log.close()

    files = sorted(tmp_path.iterdir())
    assert [path.name for path in files] == ["ingest.log", "ingest.log.1", "ingest.log.2"]
    assert all(path.stat().st_size <= 1000 for path in files)
    assert (tmp_path / "ingest.log").read_text().splitlines()[-1].startswith("line 099 ")


def test_bytes_that_are_not_utf8_are_kept_readable(tmp_path: Path) -> None:
    log = ServiceLog(tmp_path / "api.log", max_bytes=10_000, backups=1)
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'caf\\xe9\\n')"],
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    log.follow(child.stdout).join(10)
    child.wait(10)
    log.close()

    assert (tmp_path / "api.log").read_text() == "caf\\xe9\n"
