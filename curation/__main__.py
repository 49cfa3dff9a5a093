"""``python -m curation ...`` is the same as the ``curation`` console script."""
import sys

from curation.cli import main

sys.exit(main())
