"""`python -m newswire_ingest` runs the ingest service (same as `newswire ingest`)."""

import sys

from newswire.cli import main

sys.exit(main(["ingest", *sys.argv[1:]]))
