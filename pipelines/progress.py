"""A progress line while a stage runs: documents seen so far, printed at most every few seconds.

Beam has no portable progress API, so each worker counts what passes through this
step and prints to stderr (the launcher's terminal on the local runner, the worker
logs on a cluster). The counts are per worker; the final counters table is exact.
"""
from __future__ import annotations

import os
import sys
import time

import apache_beam as beam


class ReportProgress(beam.DoFn):
    def __init__(self, label: str, every_seconds: float = 5.0):
        self.label = label
        self.every_seconds = every_seconds

    def setup(self):
        self.seen = 0
        self.last = time.monotonic()

    def process(self, element):
        self.seen += 1
        now = time.monotonic()
        if now - self.last >= self.every_seconds:
            self.last = now
            print(f"  {self.label}: {self.seen:,} documents so far (worker {os.getpid()})", file=sys.stderr,
                  flush=True)
        yield element

    def teardown(self):
        if getattr(self, "seen", 0):
            print(f"  {self.label}: {self.seen:,} documents (worker {os.getpid()} done)", file=sys.stderr, flush=True)
