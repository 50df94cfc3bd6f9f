"""`python -m newswire_ops` is the `newswire` command."""

import sys

from newswire_ops.cli import main

sys.exit(main())
