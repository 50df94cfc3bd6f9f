"""Finding a JDK new enough for a server: Kafka 4 needs Java 17+, Elasticsearch 9 needs 21+."""

import os
import re
import shutil
from pathlib import Path

JVM_ROOT = Path("/usr/lib/jvm")


class JavaNotFoundError(RuntimeError):
    """No JDK of the required version could be found."""


def java_major_version(java_home: Path) -> int | None:
    """The major version a JDK declares in its `release` file, or None if it has none."""
    try:
        release = (java_home / "release").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', release, flags=re.MULTILINE)
    return int(match.group(1)) if match else None


def _java_home_of_path_java() -> Path | None:
    java = shutil.which("java")
    return Path(java).resolve().parent.parent if java else None


def find_java_home(min_major: int, preferred: Path | None = None) -> Path:
    """The configured JDK if given, else JAVA_HOME, `java` on PATH or the newest under /usr/lib/jvm.

    A configured JDK that is too old is an error rather than silently replaced, so that a
    setting never stops taking effect without the user knowing.
    """
    if preferred is not None:
        major = java_major_version(preferred)
        if major is None or major < min_major:
            raise JavaNotFoundError(f"{preferred} is Java {major}; Java {min_major}+ is needed")
        return preferred
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    path_java_home = _java_home_of_path_java()
    if path_java_home is not None:
        candidates.append(path_java_home)
    if JVM_ROOT.is_dir():
        installed = [home for home in JVM_ROOT.iterdir() if home.is_dir()]
        candidates.extend(sorted(installed, key=lambda h: java_major_version(h) or 0, reverse=True))
    for home in candidates:
        major = java_major_version(home)
        if major is not None and major >= min_major:
            return home
    raise JavaNotFoundError(
        f"no Java {min_major}+ found (looked at JAVA_HOME, `java` on PATH and {JVM_ROOT}); "
        "install one or point NEWSWIRE_DEV_*_JAVA_HOME at it"
    )
