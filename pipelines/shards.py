"""``curation shards``: documents of a mixture -> packed, shuffled Parquet token shards.

Stages (each a Beam transform; the logic lives in ``curation.shards``):

1. Read each source's files (``ReadDocuments``), tag documents with their mixture source.
2. Tokenize in batches, the tokenizer loaded once per worker (``DoFn.setup``); EOS appended.
3. Count tokens and documents per source (a combine) -> epochs per source (side input).
4. A per-source histogram of tokens over hash buckets of ``(seed, source, doc id, epoch)``
   (a combine) -> the fractional-epoch threshold (side input; see ``curation.shards.mixture``).
5. Emit every document once per epoch it is sampled in (whole epochs + the hashed fraction).
6. Pack. Packing must see many documents at once, but not all of them: copies are hashed into
   ``ceil(tokens / bucket_tokens)`` buckets and each bucket is packed on its own. The trade-off:
   a bigger bucket gives best-fit more pieces to fill gaps with (less padding) but must fit in
   one worker's memory and is one unit of parallelism; with ~4M tokens per bucket best-fit
   padding is already well under 1% on web-like length distributions (see bench/shards.py),
   while a single global bin would serialise the job.
7. Shuffle rows globally by seed: each row gets a 64-bit key hashed from (seed, bucket, row);
   rows go to shard ``key % num_shards`` and are sorted by key inside their shard, i.e. a
   seeded random permutation that needs no global sort.
8. Write each shard (Parquet, SHA-256), then ``manifest.json`` from all shard entries.

Everything is keyed and sorted by content, never by arrival order, so the same inputs,
tokenizer and seed give byte-identical shards on any runner and worker count.
"""
from __future__ import annotations

import glob
import math
import os
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from curation.shards.format import MANIFEST_NAME, SHARD_GLOB, shard_file_name
from curation.shards.manifest import build_manifest, write_manifest
from curation.shards.mixture import (
    HIST_BUCKETS,
    MixtureConfig,
    copy_key,
    hash64,
    mixture_table,
    partial_bucket,
    plan_epochs,
    plan_partial,
)
from curation.shards.packing import PackItem, pack
from curation.shards.writer import write_shard
from pipelines.read import ReadDocuments

NAMESPACE = "shards"
STATS_TAG = "stats"


def tokenizer_info(tokenizer_dir: str) -> dict[str, Any]:
    """The tokenizer facts the shards and manifest need (pad id falls back to EOS)."""
    import tokenizer

    tok = tokenizer.load(tokenizer_dir)
    pad = tok.pad_id if tok.pad_id is not None else tok.eos_id
    if pad is None:
        raise ValueError(f"tokenizer {tokenizer_dir!r} has neither a pad nor an EOS token to pad rows with")
    return {"path": str(tok.path), "sha256": tok.sha256, "pad_id": int(pad), "eos_id": tok.eos_id,
            "bos_id": tok.bos_id, "vocab_size": int(tok.vocab_size)}


class _Tokenize(beam.DoFn):
    """Batches of ``(source, document)`` -> ``(source, doc_id, int32 tokens + EOS)``."""

    def __init__(self, tokenizer_dir: str, append_eos: bool):
        self.tokenizer_dir = tokenizer_dir
        self.append_eos = append_eos
        self.docs_in = Metrics.counter("tokenize", "in")
        self.docs_out = Metrics.counter("tokenize", "out")
        self.empty = Metrics.counter("tokenize", "dropped:empty_text")
        self.tokens = Metrics.counter("tokenize", "tokens")

    def setup(self):
        import tokenizer

        self.tok = tokenizer.load(self.tokenizer_dir)
        self.eos = [self.tok.eos_id] if self.append_eos and self.tok.eos_id is not None else []
        if self.append_eos and not self.eos:
            raise ValueError(f"tokenizer {self.tokenizer_dir!r} has no EOS token; set append_eos: false")

    def process(self, batch):
        self.docs_in.inc(len(batch))
        encoded = self.tok.encode_batch([doc["text"] for _, doc in batch])
        for (source, doc), ids in zip(batch, encoded):
            if not ids:
                self.empty.inc()
                continue
            tokens = np.asarray(list(ids) + self.eos, dtype=np.int32)
            self.docs_out.inc()
            self.tokens.inc(len(tokens))
            yield source, str(doc["id"]), tokens


class _SumPairs(beam.CombineFn):
    def create_accumulator(self):
        return (0, 0)

    def add_input(self, acc, value):
        return acc[0] + value[0], acc[1] + value[1]

    def merge_accumulators(self, accs):
        return tuple(map(sum, zip(*accs))) if accs else (0, 0)

    def extract_output(self, acc):
        return acc


class _Histogram(beam.CombineFn):
    """Tokens per hash bucket (``HIST_BUCKETS`` int64 counters)."""

    def create_accumulator(self):
        return np.zeros(HIST_BUCKETS, np.int64)

    def add_input(self, acc, value):
        acc[value[0]] += value[1]
        return acc

    def merge_accumulators(self, accs):
        out = np.zeros(HIST_BUCKETS, np.int64)
        for acc in accs:
            out += acc
        return out

    def extract_output(self, acc):
        return acc


class _SumStats(beam.CombineFn):
    def create_accumulator(self):
        return {}

    def add_input(self, acc, value):
        for k, v in value.items():
            acc[k] = acc.get(k, 0) + v
        return acc

    def merge_accumulators(self, accs):
        out: dict = {}
        for acc in accs:
            self.add_input(out, acc)
        return out

    def extract_output(self, acc):
        return dict(sorted(acc.items()))


class _PackBucket(beam.DoFn):
    def __init__(self, seq_len: int, mode: str, seed: int):
        self.seq_len, self.mode, self.seed = seq_len, mode, seed
        self.counters: dict = {}

    def _inc(self, name, value):
        if name not in self.counters:
            self.counters[name] = Metrics.counter("pack", name)
        self.counters[name].inc(value)

    def process(self, element):
        bucket, copies = element
        # A content order, not arrival order: (copy key, source, doc id, epoch, tokens).
        copies = sorted(copies, key=lambda c: (c[0], c[1], c[2], c[3], c[4].tobytes()))
        rows, stats = pack([PackItem(c[4], c[1], c[2]) for c in copies], self.seq_len, self.mode)
        for name in ("documents", "rows", "real_tokens", "pad_tokens", "truncated_docs", "dropped_tokens"):
            self._inc(name, getattr(stats, name))
        yield beam.pvalue.TaggedOutput(STATS_TAG, {
            "packed_documents": stats.documents, "truncated_docs": stats.truncated_docs,
            "dropped_tokens": stats.dropped_tokens})
        for i, row in enumerate(rows):
            yield hash64(self.seed, "row", bucket, i), row


class BuildShards(beam.PTransform):
    """The whole stage from mixture sources to shard files; returns the manifest path PCollection."""

    def __init__(self, config: MixtureConfig, tokenizer_dir: str, output_dir: str, tok_info: dict[str, Any]):
        super().__init__()
        self.config = config
        self.tokenizer_dir = tokenizer_dir
        self.output_dir = output_dir
        self.tok_info = tok_info

    def expand(self, pbegin):
        cfg, seed = self.config, self.config.seed
        tagged = []
        for source in cfg.sources:
            docs = pbegin | f"Read[{source.name}]" >> ReadDocuments(source.paths, source=source.name)
            tagged.append(docs.docs | f"Tag[{source.name}]" >> beam.Map(lambda d, name: (name, d), source.name))
        tokens = (
            tagged
            | "AllSources" >> beam.Flatten()
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=cfg.tokenize_batch_size)
            | "Tokenize" >> beam.ParDo(_Tokenize(self.tokenizer_dir, cfg.append_eos))
        )
        epochs = (
            tokens
            | "SourceSizes" >> beam.Map(lambda t: (t[0], (len(t[2]), 1)))
            | "CountPerSource" >> beam.CombinePerKey(_SumPairs())
            | "Totals" >> beam.combiners.ToDict()
            | "PlanEpochs" >> beam.Map(lambda totals: plan_epochs(cfg, totals))
        )
        histograms = (
            tokens
            | "PartialBucket" >> beam.Map(
                lambda t, plans: (t[0], (partial_bucket(seed, t[0], t[1], plans[t[0]].whole_epochs), len(t[2]))),
                beam.pvalue.AsSingleton(epochs))
            | "Histogram" >> beam.CombinePerKey(_Histogram())
        )
        plan = epochs | "PlanPartial" >> beam.Map(
            lambda plans, hists: plan_partial(plans, hists), beam.pvalue.AsDict(histograms))
        num_buckets = plan | "NumBuckets" >> beam.Map(
            lambda plans: max(1, math.ceil(sum(p.tokens_taken for p in plans.values()) / cfg.bucket_tokens)))

        def copies(t, plans, buckets):
            source, doc_id, toks = t
            for epoch in plans[source].epochs_of(seed, doc_id):
                key = copy_key(seed, source, doc_id, epoch)
                yield key % buckets, (key, source, doc_id, epoch, toks)

        packed = (
            tokens
            | "Sample" >> beam.FlatMap(copies, beam.pvalue.AsSingleton(plan), beam.pvalue.AsSingleton(num_buckets))
            | "GroupBuckets" >> beam.GroupByKey()
            | "Pack" >> beam.ParDo(_PackBucket(cfg.seq_len, cfg.packing, seed)).with_outputs(STATS_TAG, main="rows")
        )
        rows = packed.rows
        num_shards = (rows | "CountRows" >> beam.combiners.Count.Globally()
                      | "NumShards" >> beam.Map(lambda n: max(1, math.ceil(n / cfg.rows_per_shard))))
        pack_stats = packed[STATS_TAG] | "PackStats" >> beam.CombineGlobally(_SumStats())
        out, seq_len, pad_id = self.output_dir, cfg.seq_len, self.tok_info["pad_id"]
        tokenizer_sha256 = self.tok_info["sha256"]

        def write(element, n):
            index, keyed = element
            keyed = sorted(keyed, key=lambda kr: (kr[0], [(s.source, s.doc_id, s.offset) for s in kr[1]]))
            name = shard_file_name(index, n)
            return write_shard(os.path.join(out, name), name, [r for _, r in keyed], seq_len, pad_id,
                               tokenizer_sha256)

        shards = (
            rows
            | "AssignShard" >> beam.Map(lambda kr, n: (kr[0] % n, kr), beam.pvalue.AsSingleton(num_shards))
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShard" >> beam.Map(write, beam.pvalue.AsSingleton(num_shards))
        )
        info = self.tok_info

        def manifest(entries, plans, stats):
            realized: dict[str, int] = {name: 0 for name in plans}
            for e in entries:
                for src, n in e["source_tokens"].items():
                    realized[src] = realized.get(src, 0) + n
            doc = build_manifest(
                seq_len=seq_len, pad_id=pad_id, eos_id=info["eos_id"], bos_id=info["bos_id"],
                vocab_size=info["vocab_size"], tokenizer_path=info["path"], tokenizer_sha256=info["sha256"],
                packing=cfg.packing, seed=seed, shards=entries, mixture=mixture_table(plans, realized),
                packing_stats=stats, total_tokens_budget=cfg.total_tokens)
            return write_manifest(out, doc)

        return (
            shards
            | "AllShards" >> beam.combiners.ToList()
            | "WriteManifest" >> beam.Map(manifest, beam.pvalue.AsSingleton(plan), beam.pvalue.AsSingleton(pack_stats))
        )


def clear_previous(output_dir: str) -> None:
    """Remove an earlier run's shards and manifest (a smaller shard count would leave stale files)."""
    for path in glob.glob(os.path.join(output_dir, SHARD_GLOB)) + [
            os.path.join(output_dir, MANIFEST_NAME)]:
        if os.path.exists(path):
            os.remove(path)


def run_shards(config: MixtureConfig, tokenizer_dir: str, output_dir: str,
               beam_args: list[str] | None = None, echo: bool = True) -> dict:
    """Build the shards; returns the manifest. Prints the counters and the mixture table."""
    import json

    from curation.shards.mixture import format_mixture_table
    from pipelines.metrics import run_and_report
    from pipelines.options import make_options

    info = tokenizer_info(tokenizer_dir)
    if "://" not in output_dir:
        os.makedirs(output_dir, exist_ok=True)
        clear_previous(output_dir)
    pipeline = beam.Pipeline(options=make_options(beam_args))
    _ = pipeline | "Shards" >> BuildShards(config, tokenizer_dir, output_dir, info)
    run_and_report(pipeline, os.path.join(output_dir, "stats.json"), echo=echo)
    with open(os.path.join(output_dir, MANIFEST_NAME)) as fh:
        manifest = json.load(fh)
    if echo:
        print(format_mixture_table(manifest["mixture"]))
        t = manifest["totals"]
        print(f"{t['rows']:,} rows x {manifest['seq_len']} tokens in {len(manifest['shards'])} shards, "
              f"padding {t['pad_fraction']:.2%}, truncated documents {t.get('truncated_docs', 0):,}")
    return manifest
