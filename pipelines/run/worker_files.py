"""The files a worker opens, put on the run's own storage.

A worker of a distributed runner (Dataflow, a Dask cluster on other machines) cannot read the
launcher's disk. When the output is on an object store, every launcher-local file or directory
that the config names for a worker (the quality model and its card, a given tokenizer, filter
word and URL lists, the language-id model, eval sets) is copied under ``OUT/inputs/`` before the
stages run, and the config the stages get names the copy. With a local output the paths stay as
they are (one machine, or a disk every worker mounts). What the run makes itself (its quality
model, its tokenizer) is already written to the output and opened from there.
"""
from __future__ import annotations

import hashlib
import os

from curation.io.paths import copy_file, exists, expand, is_local, join, size
from pipelines.run.config import RunConfig


class WorkerFiles:
    """Launcher-local paths and where their copies go on the run's storage."""

    def __init__(self, output: str):
        self.output = output
        self.copies: dict[str, str] = {}  # copy on the run's storage -> launcher-local path

    def place(self, path: str | None) -> str | None:
        """Where a worker opens ``path``: its copy under ``OUT/inputs/`` when it must travel."""
        if path is None or is_local(self.output) or not is_local(path):
            return path
        local = os.path.abspath(path)
        digest = hashlib.sha256(local.encode()).hexdigest()[:12]  # two files of one name stay apart
        target = join(self.output, "inputs", f"{digest}-{os.path.basename(local.rstrip(os.sep))}")
        self.copies[target] = local
        return target

    def local(self, path: str) -> str:
        """The launcher-local original of a placed path (fingerprints read its size), else ``path``."""
        return self.copies.get(path, path)

    def upload(self, echo: bool = True) -> None:
        """Copy every placed file (directories file by file); a copy of the same size is kept."""
        for target, local in self.copies.items():
            if not os.path.exists(local):
                raise FileNotFoundError(f"{local!r} (named in the config) does not exist")
            pairs = [(local, target)] if os.path.isfile(local) else [
                (os.path.join(root, name), join(target, *os.path.relpath(os.path.join(root, name), local).split(os.sep)))
                for root, _, names in sorted(os.walk(local)) for name in sorted(names)]
            for source, copy in pairs:
                if not (exists(copy) and size(copy) == os.path.getsize(source)):
                    copy_file(source, copy)
            if echo and pairs:
                print(f"worker file: {local} -> {target}", flush=True)


def place_worker_files(config: RunConfig, output: str) -> tuple[RunConfig, WorkerFiles]:
    """A copy of ``config`` whose worker-opened paths name their copies on the run's storage."""
    from filters.quality.classifier import card_path

    files = WorkerFiles(output)
    config = config.model_copy(deep=True)
    quality = config.quality
    if quality.model:
        card = card_path(quality.model)
        quality.model = files.place(quality.model)
        if is_local(card) and os.path.exists(card) and not is_local(quality.model):
            files.copies[card_path(quality.model)] = os.path.abspath(card)
    config.tokenizer.path = files.place(config.tokenizer.path)
    filters = config.filters
    filters.badwords.path = files.place(filters.badwords.path)
    filters.langid.fasttext_model = files.place(filters.langid.fasttext_model)
    urls = filters.url_filter
    urls.domain_lists = [files.place(p) for p in urls.domain_lists]
    urls.url_lists = [files.place(p) for p in urls.url_lists]
    for key in ("ut1", "banned_words_file", "soft_banned_words_file", "banned_subwords_file"):
        setattr(urls, key, files.place(getattr(urls, key)))
    decontaminate = filters.decontaminate
    if decontaminate.enabled and not is_local(output):  # globs: each file they match travels
        decontaminate.eval_sets = [files.place(p) for pattern in decontaminate.eval_sets
                                   for p in (expand(pattern) if is_local(pattern) else [pattern])]
    return config, files
