"""Node loss under load on a three-broker, three-node cluster, timed (issue 29).

Runs the cluster suite's scenarios (tests/e2e/test_cluster_node_loss.py) on the whole BBC corpus
(or --files N of it) and prints their figures: `newswire up` on a 3+3 cluster of its own
(`newswire dev-services up --brokers 3 --es-nodes 3` in a temporary dev home), the corpus
dropped at once; kill -9 of the broker leading most partitions of the raw topic, then of the
Elasticsearch node holding most primaries, both started again; then all brokers restarted in
turn under load. For each: seconds until 20 more articles were searchable after each kill, and
until every distinct article was searchable exactly once (the test's checks: none missing, none
doubled, nothing dead-lettered, replication factor 3, min.insync.replicas 2, one index replica).

The scenarios are the tests' (the benchmark runs them through pytest with `-s`, so this script
imports nothing from the tests), so what is timed is exactly what CI checks on a slice.

    python benchmarks/node_loss.py [--files all|N]
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEST = "tests/e2e/test_cluster_node_loss.py"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", default="all", help="BBC files to drop: all, or a number")
    args = parser.parse_args()
    env = {**os.environ, "NEWSWIRE_NODE_LOSS_FILES": args.files}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", TEST],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    figures = re.findall(r"^(node loss: .*|rolling restart of the brokers: .*)$", done.stdout, re.M)
    print(f"node loss on a 3-broker, 3-node cluster ({args.files} BBC files):")
    for line in figures:
        print(f"  {line}")
    outcome = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:]
    print(f"  checks: {outcome}")
    if done.returncode != 0:
        print(done.stdout[-6000:], file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
