"""``python -m tools.dev``: see :mod:`tools.dev`."""

import sys

from tools.dev.launcher import main

sys.exit(main())
