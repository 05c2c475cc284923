"""``python -m labkit``: see :mod:`labkit.cli`."""

import sys

from .book.cli import main

sys.exit(main())
