"""`python -m newswire_indexer` runs the indexer (same as `newswire indexer`)."""

import sys

from newswire_indexer.commands import main

sys.exit(main(["indexer", *sys.argv[1:]]))
