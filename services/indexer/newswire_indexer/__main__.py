"""`python -m newswire_indexer` runs the indexer service (same as `newswire indexer`)."""

import sys

from newswire.cli import main

sys.exit(main(["indexer", *sys.argv[1:]]))
