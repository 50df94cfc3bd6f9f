"""Sampling profiles of running Python processes with py-spy, and their hottest functions.

py-spy (in the venv) reads a process's stacks from outside, `--nonblocking` so the process is
never paused; `--format raw` writes collapsed stacks, one line per distinct stack:
`outer (file.py:12);…;leaf (file.py:34) <samples>`. Only samples where the process was busy are
kept (no `--idle`), so a function's share is of the time the process ran Python.
"""

import contextlib
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SAMPLES_PER_S = 50
ATTACH_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 30.0
_LINE_NUMBER = re.compile(r":\d+\)$")


def py_spy_command() -> str:
    """The venv's py-spy (beside this Python), else the one on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise FileNotFoundError("py-spy is not installed (pip install py-spy)")
    return found


@dataclass(frozen=True)
class HotFunction:
    function: str  # "name (file)", its lines together
    self_samples: int
    share: float  # of the process's samples


@dataclass(frozen=True)
class Profile:
    samples: int
    top_self: list[HotFunction]


def read_profile(path: Path, count: int = 12) -> Profile:
    """The `count` functions with the most samples of their own (the leaf of the stack)."""
    own: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        own[_LINE_NUMBER.sub(")", leaf)] += int(samples)
    total = sum(own.values())
    top = [HotFunction(name, n, n / total) for name, n in own.most_common(count)]
    return Profile(total, top)


class Recording:
    """`py-spy record` on each named process, from entering to leaving the block; then each
    process's profile is `DIR/<name>.txt`."""

    def __init__(self, folder: Path, pids: dict[str, int]) -> None:
        self.folder = folder
        self._pids = pids
        self._recorders: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def names(self) -> list[str]:
        return list(self._pids)

    def output(self, name: str) -> Path:
        return self.folder / f"{name}.txt"

    def recorder_pids(self) -> dict[str, int]:
        """The py-spy processes themselves, so their own CPU time can be counted."""
        return {f"py-spy ({name})": rec.pid for name, rec in self._recorders.items()}

    def __enter__(self) -> "Recording":
        self.folder.mkdir(parents=True, exist_ok=True)
        command = py_spy_command()
        try:
            for name, pid in self._pids.items():
                self._recorders[name] = self._start(command, name, pid)
            for name in self._recorders:
                self._wait_until_sampling(name)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start(self, command: str, name: str, pid: int) -> subprocess.Popen[bytes]:
        arguments = ["record", "--format", "raw", "--rate", str(SAMPLES_PER_S), "--nonblocking"]
        arguments += ["--pid", str(pid), "--output", str(self.output(name))]
        with (self.folder / f"{name}.log").open("wb") as log:
            return subprocess.Popen(
                [command, *arguments], stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )

    def _wait_until_sampling(self, name: str) -> None:
        """py-spy says so once it found the interpreter; drops before that would be missed."""
        log, deadline = self.folder / f"{name}.log", time.monotonic() + ATTACH_TIMEOUT_S
        while "Sampling process" not in log.read_text(errors="replace"):
            if self._recorders[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"py-spy could not profile {name}: {log.read_text()[-500:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Ctrl-C to each recorder (it then writes its file), killed if it does not exit."""
        for recorder in self._recorders.values():
            if recorder.poll() is None:
                recorder.send_signal(signal.SIGINT)
        for name, recorder in self._recorders.items():
            try:
                recorder.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                print(f"py-spy for {name} did not stop; killed", file=sys.stderr)
                with contextlib.suppress(ProcessLookupError):
                    recorder.kill()
                recorder.wait()
