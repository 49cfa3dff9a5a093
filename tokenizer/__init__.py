"""Training and loading tokenizers. ``tokenizer.load(DIR)`` is the one loading API.

Training: :func:`tokenizer.train.train_tokenizer` (``curation tokenizer train``).
"""
from tokenizer.load import LoadedTokenizer, load

__all__ = ["LoadedTokenizer", "load"]
