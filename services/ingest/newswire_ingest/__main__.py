"""`python -m newswire_ingest` runs ingest (same as `newswire ingest`)."""

import sys

from newswire_ingest.commands import main

sys.exit(main(["ingest", *sys.argv[1:]]))
