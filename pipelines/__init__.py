"""Beam wiring only: thin PTransforms around the logic in ``filters`` and ``curation``."""
import curation  # noqa: F401  (first: it chooses Arrow's memory pool before Beam imports pyarrow)
