"""Quiet by default: our own progress lines, tables, warnings and errors; Beam's logs on request.

``curation -v`` (or ``CURATION_VERBOSE=1``) logs at INFO, Beam's workers included.
"""
from __future__ import annotations

import logging
import os

VERBOSE_ENV = "CURATION_VERBOSE"
# Warnings Beam logs on every start that say nothing about the job.
NOISE = ("apitools not found", "No semi_persistent_directory found")


class _DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()  # also a worker's warning relayed by the launcher
        return not any(noise in message for noise in NOISE)


def verbose_from_env() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0", "false")


def configure_logging(verbose: bool | None) -> None:
    """One stderr handler on the root logger: INFO when verbose, else WARNING (known noise dropped).

    The level sits on the handler, not only the logger: Beam's worker raises the root logger to
    INFO while it starts. ``verbose=None`` reads ``CURATION_VERBOSE``; ``True`` also exports it,
    so worker processes started later follow.
    """
    if verbose is None:
        verbose = verbose_from_env()
    elif verbose:
        os.environ[VERBOSE_ENV] = "1"
    level = logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(_DropNoise())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
