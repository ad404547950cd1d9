"""``python -m vimsim``: the same as the ``vimsim`` console script."""

import sys

from vimsim.cli import main

if __name__ == '__main__':
    sys.exit(main())
