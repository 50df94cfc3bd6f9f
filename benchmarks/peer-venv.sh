#!/usr/bin/env bash
# Creates .venv-peers/: the peer implementations the benchmarks compare against, in a venv of
# their own because their pins clash with Newswire's (quix-streams wants pydantic < 2.14).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv-peers/bin/python ] || python3 -m venv .venv-peers
.venv-peers/bin/python -m pip install --quiet --disable-pip-version-check \
    "quixstreams[elasticsearch]==3.28.1" "elasticsearch==9.5.1" "psutil==7.2.2"
