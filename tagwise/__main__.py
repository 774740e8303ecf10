"""``python -m tagwise`` runs the command line."""

import sys

from tagwise.cli import main

sys.exit(main())
