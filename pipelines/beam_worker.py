"""The local runner's worker process (multi-processing mode), quiet unless asked.

Beam's ``sdk_worker_main`` logs ~20 INFO lines per worker process per pipeline (channels
opened and closed) before it reads any option that could lower its level.
``pipelines.local_runner`` starts workers through this module instead, which installs one
stderr handler at WARNING first (INFO with ``CURATION_VERBOSE=1``, which ``curation -v`` sets).
"""
from __future__ import annotations

import sys

from pipelines.logs import configure_logging

if __name__ == "__main__":
    configure_logging(verbose=None)
    from apache_beam.runners.worker import sdk_worker_main

    from pipelines.worker_caches import bound_worker_caches

    bound_worker_caches()

    sdk_worker_main.main(sys.argv)
