"""`python -m newswire_enrich` runs the enrich service (same as `newswire enrich`)."""

import sys

from newswire_enrich.commands import main

sys.exit(main(["enrich", *sys.argv[1:]]))
