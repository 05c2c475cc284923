"""``python -m labkit``: see :mod:`labkit.cli`."""

import sys

from .cli import main

sys.exit(main())
