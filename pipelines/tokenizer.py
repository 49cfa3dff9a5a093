"""The tokenizer stage (``curation tokenizer train`` and ``curation run``): documents -> tokenizer directory.

Training itself is :func:`tokenizer.train.train_tokenizer` (no Beam); this adds what every stage
does with its output directory (:mod:`curation.io.completion`): an earlier write cleared first,
``_SUCCESS.json`` last.
"""
from __future__ import annotations

from curation.io.completion import replace_output, write_success
from curation.io.paths import expand
from tokenizer.config import TokenizerConfig


def run_tokenizer(config: TokenizerConfig, inputs: list[str], output_dir: str, beam_args: list[str] | None = None,
                  *, echo: bool = True) -> dict:
    """Train on the documents of ``inputs`` (globs, files, finished stage outputs); returns the
    training report. ``beam_args``: unused (no Beam)."""
    from tokenizer.train import train_tokenizer

    paths = expand(inputs)
    replace_output(output_dir, paths)
    report = train_tokenizer(paths, output_dir, config, echo=echo)
    write_success(output_dir, stage="tokenizer")
    return report
