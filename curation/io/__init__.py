"""Readers and writers: WARC/WET records, document files, paths on any filesystem.

Importing this package sets Arrow's memory pool (:mod:`curation.io.arrow_memory`): every
process that reads or writes through it, the CLI and each Beam worker alike, gets it.
"""
from curation.io.arrow_memory import use_system_allocator

use_system_allocator()
