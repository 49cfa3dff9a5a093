"""Readers and writers: WARC/WET records, document files, paths on any filesystem."""
