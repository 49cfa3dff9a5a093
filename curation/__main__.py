"""``python -m curation ...`` is the ``curation`` console script (its code lives in ``pipelines.cli``)."""
from pipelines.cli import main

raise SystemExit(main())
