"""Beam wiring only: thin PTransforms around the logic in ``filters`` and ``curation``."""
