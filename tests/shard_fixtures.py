"""INTERIM: trains a tokenizer for the shard tests (to be replaced by the tokenizer package's API)."""
from __future__ import annotations

import sys


def train_tokenizer(texts, directory):
    sys.path.insert(0, "/tmp/shw")
    import fake_tok

    fake_tok.train(texts, directory)
    return directory
