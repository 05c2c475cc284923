"""``python -m labkit``: see :mod:`labkit.book.cli`."""

import sys

from .book.cli import main

sys.exit(main())
