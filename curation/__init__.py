"""Shared core of the toolkit: document schema, I/O, configuration, shards, proxy LM and CLI."""

__version__ = "0.1.0"
