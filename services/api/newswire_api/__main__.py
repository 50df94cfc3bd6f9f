"""`python -m newswire_api` runs the search API (same as `newswire api`)."""

import sys

from newswire_api.commands import main

sys.exit(main(["api", *sys.argv[1:]]))
