"""Fetching a server's jars with Maven into the cache, once per version of its pom.

The Maven projects live in this package (`maven_projects/<name>/`). Each build runs in a copy
under the cache, keyed by a digest of the project's files, so the repository never gets a
`target/` and a changed pom (a version bump) gets a fresh build while an unchanged one is reused.
"""

import hashlib
import os
import shutil
import subprocess
from importlib.resources import as_file, files
from pathlib import Path

MAVEN_PROJECTS = files("newswire_ops.dev_services") / "maven_projects"
COMPLETE_MARKER = ".newswire-build-complete"


class MavenBuildError(RuntimeError):
    """Maven failed; the message carries the tail of its output."""


def _project_digest(project: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        digest.update(path.relative_to(project).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_maven_project(
    name: str, goals: list[str], cache_dir: Path, maven: str, java_home: Path
) -> Path:
    """Run `maven goals` on a copy of project `name` in the cache; return the copy's path."""
    with as_file(MAVEN_PROJECTS / name) as source:
        build_dir = cache_dir / "maven" / f"{name}-{_project_digest(source)}"
        if (build_dir / COMPLETE_MARKER).exists():
            return build_dir
        shutil.rmtree(build_dir, ignore_errors=True)
        shutil.copytree(source, build_dir)
    log_path = build_dir / "maven.log"
    command = [maven, "--batch-mode", "--no-transfer-progress", *goals]
    env = {**os.environ, "JAVA_HOME": str(java_home)}
    with log_path.open("w", encoding="utf-8") as log:
        result = subprocess.run(
            command, cwd=build_dir, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        raise MavenBuildError(
            f"`{' '.join(command)}` failed in {build_dir} (exit {result.returncode}):\n"
            + "\n".join(tail)
        )
    (build_dir / COMPLETE_MARKER).touch()
    return build_dir
