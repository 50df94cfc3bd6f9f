"""`python -m newswire_api` runs the search API (same as `newswire api`)."""

import sys

from newswire.cli import main

sys.exit(main(["api", *sys.argv[1:]]))
