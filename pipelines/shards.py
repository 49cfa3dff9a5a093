"""``curation shards``: documents of a mixture -> packed, shuffled Parquet token shards.

Stages (each a named Beam transform; the logic lives in ``curation.shards``):

1. ``TokenizeSources``: read every source's files (one read, documents tagged with their source)
   and tokenize with ``encode_batch`` calls of ``tokenize_batch_size`` documents, each encoding on
   a background thread while the next batch is read; the tokenizer loaded once per worker; EOS
   appended. A batch's documents travel on as one ``DocBlock`` per source (flat arrays, not an
   element per document), and so do their sampled copies.
2. ``PlanMixture``: tokens and documents per source -> epochs per source; a per-source histogram
   of tokens over hash buckets of ``(seed, source, doc id, epoch)`` -> the fractional-epoch
   threshold (see ``curation.shards.mixture``).
3. ``PackSources``: emit every document once per epoch it is sampled in, hash the copies into
   ``ceil(tokens / bucket_tokens)`` buckets *per source* and pack each bucket on its own (from
   the copies' lengths, then the tokens gathered at once: ``curation.shards.packing``). Packing
   must see many documents at once, but not all of them: a bigger bucket gives best-fit more
   pieces to fill gaps with (less padding) but must fit in one worker's memory and is one unit
   of parallelism; with ~4M tokens per bucket best-fit padding is already well under 1% on
   web-like length distributions (see bench/shards.py).
4. ``BlendIntoShards``: every row gets its time on the blend's token clock
   (``curation.shards.blend``: sources interleaved by largest token shortfall, as Megatron's
   ``BlendedDataset``), from its bucket's token offset within its source (a small side input);
   shard ``i`` of ``n`` holds a contiguous range of that clock, rows sorted by time. Every shard
   and every prefix of the row order is on the mixture weights, with no global sort.
5. Write each shard (Parquet, SHA-256), then ``manifest.json`` from all shard entries.

Everything is keyed and sorted by content, never by arrival order, so the same inputs,
tokenizer and seed give byte-identical shards on any runner and worker count.
"""
from __future__ import annotations

import math
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from curation.io.paths import expand, join, make_dirs, read_bytes
from curation.shards.blend import blend_order, blend_times, row_permutation
from curation.shards.docblock import DocBlock
from curation.shards.format import MANIFEST_NAME, shard_file_name
from curation.shards.manifest import build_manifest, write_manifest
from curation.shards.mixture import (
    HIST_BUCKETS,
    MixtureConfig,
    partial_histogram,
    plan_epochs,
    plan_partial,
    sample_copies,
)
from curation.shards.packing import pack_layout
from curation.shards.rows import RowBlock
from curation.shards.writer import prepare_shard, write_prepared
from pipelines.ahead import Ahead
from pipelines.counters import CountingDoFn, counted
from pipelines.read import ReadTaggedDocuments

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


class _Tokenize(CountingDoFn):
    """``(source, document)`` -> ``DocBlock`` of int32 tokens + EOS, one per source per batch.

    Documents are buffered and encoded ``batch_size`` at a time with one ``encode_batch`` call
    (``tokenizers`` spreads a batch over its threads); the ids of a batch become flat int32
    arrays, one block per source in the batch (no per-token Python work beyond the lists
    ``tokenizers`` returns, no per-document element).

    Encoding runs one batch ahead, on a background thread (``pipelines.ahead``): the call
    releases the GIL, so while the tokenizer's threads encode batch ``k`` this thread reads and
    buffers batch ``k + 1`` and turns batch ``k - 1`` into arrays. Run in turn, a core sat idle
    during that Python work. At most two batches are in flight; output order is submission
    order (and nothing downstream depends on order: it is all keyed and sorted by content).
    """

    def __init__(self, tokenizer_dir: str, append_eos: bool, batch_size: int):
        self.tokenizer_dir, self.append_eos, self.batch_size = tokenizer_dir, append_eos, batch_size

    def setup(self):
        import tokenizer

        self.tok = tokenizer.load(self.tokenizer_dir)
        self.eos = self.tok.eos_id if self.append_eos else None
        if self.append_eos and self.eos is None:
            raise ValueError(f"tokenizer {self.tokenizer_dir!r} has no EOS token; set append_eos: false")
        self.encoder = Ahead(1, "encode")

    def teardown(self):
        self.encoder.close()

    def start_bundle(self):
        super().start_bundle()
        self.buffer: list[tuple[str, str, str]] = []
        self.encoder.reset()  # batches left over from a failed bundle on a reused instance

    def process(self, element):
        source, doc = element
        self.buffer.append((source, str(doc["id"]), doc["text"]))
        if len(self.buffer) >= self.batch_size:
            self._submit()
            yield from self._emit(self.encoder.done(keep=1))

    def finish_bundle(self):
        self._submit()
        for out in self._emit(self.encoder.done(keep=0)):
            yield WindowedValue(out, MIN_TIMESTAMP, [GlobalWindow()])
        yield from super().finish_bundle()  # the counts, after the last batch

    def _submit(self):
        batch, self.buffer = self.buffer, []
        if batch:
            self.encoder.submit(batch, self.tok.encodings, [b[2] for b in batch])

    def _emit(self, finished):
        for batch, encodings in finished:
            self.counters("tokenize").inc("in", len(batch))
            by_source: dict[str, tuple[list[str], list[np.ndarray]]] = {}
            for (source, doc_id, _), tokens in zip(batch, document_tokens(encodings, self.eos)):
                if tokens is None:
                    self.counters("tokenize").inc("dropped:empty_text")
                    continue
                self.counters("tokenize").inc("out")
                self.counters("tokenize").inc("tokens", len(tokens))
                ids, arrays = by_source.setdefault(source, ([], []))
                ids.append(doc_id)
                arrays.append(tokens)
            for source, (ids, arrays) in by_source.items():
                yield DocBlock.of(source, ids, arrays)


def document_tokens(encodings, eos: int | None) -> list[np.ndarray | None]:
    """Per encoding (of one batch) an int32 view of its ids, EOS appended, or None when it has no tokens."""
    encoded = [enc.ids for enc in encodings]
    lengths = np.fromiter((len(ids) for ids in encoded), np.int64, len(encoded))
    extra = 0 if eos is None else 1
    ends = np.cumsum(lengths + extra)
    flat = np.empty(int(ends[-1]) if len(ends) else 0, np.int32)
    starts = ends - lengths - extra
    for ids, a, n in zip(encoded, starts.tolist(), lengths.tolist()):
        flat[a:a + n] = ids
    if extra:
        flat[ends[lengths > 0] - 1] = eos
    return [flat[a:b] if n else None for a, b, n in zip(starts.tolist(), ends.tolist(), lengths.tolist())]


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
    """Tokens per hash bucket (``HIST_BUCKETS`` int64 counters), summed over blocks' histograms."""

    def create_accumulator(self):
        return np.zeros(HIST_BUCKETS, np.int64)

    def add_input(self, acc, value):
        acc += value
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


class TokenizeSources(beam.PTransform):
    """Every mixture source's documents -> ``DocBlock`` s of their tokens."""

    def __init__(self, config: MixtureConfig, tokenizer_dir: str):
        super().__init__()
        self.config, self.tokenizer_dir = config, tokenizer_dir

    def expand(self, pbegin):
        cfg = self.config
        # One read of every source (not a read per source joined by a Flatten): it fuses with
        # the tokenizer, so documents stream from the files into encoding instead of all being
        # read and held first.
        docs = pbegin | "Read" >> ReadTaggedDocuments({source.name: source.paths for source in cfg.sources})
        return counted(docs.docs, "Tokenize",
                       _Tokenize(self.tokenizer_dir, cfg.append_eos, cfg.tokenize_batch_size))["main"]


class PlanMixture(beam.PTransform):
    """Tokenized documents -> the singleton ``{source: SourcePlan}`` (epochs and fractional threshold)."""

    def __init__(self, config: MixtureConfig):
        super().__init__()
        self.config = config

    def expand(self, blocks):
        cfg, seed = self.config, self.config.seed
        # Planning needs sizes, not tokens: taken in the tokenizer's stage, so the histogram's
        # stage (it waits on the epochs) reads doc ids and lengths, not every token again.
        sizes = blocks | "Sizes" >> beam.Map(DocBlock.sizes)
        epochs = (
            sizes
            | "SourceSizes" >> beam.Map(lambda b: (b.source, (int(b.lengths.sum()), len(b))))
            | "CountPerSource" >> beam.CombinePerKey(_SumPairs())
            | "Totals" >> beam.combiners.ToDict()
            | "PlanEpochs" >> beam.Map(lambda totals: plan_epochs(cfg, totals))
        )
        histograms = (
            sizes
            | "PartialBucket" >> beam.Map(
                lambda b, plans: (b.source, partial_histogram(seed, b.source, b.doc_ids, b.lengths,
                                                              plans[b.source].whole_epochs)),
                beam.pvalue.AsSingleton(epochs))
            | "Histogram" >> beam.CombinePerKey(_Histogram())
        )
        return epochs | "PlanPartial" >> beam.Map(
            lambda plans, hists: plan_partial(plans, hists), beam.pvalue.AsDict(histograms))


class _PackBucket(CountingDoFn):
    """One source's bucket of document copies -> ``((source, bucket), RowBlock)``, rows in a seeded order."""

    def __init__(self, seq_len: int, mode: str, seed: int):
        self.seq_len, self.mode, self.seed = seq_len, mode, seed

    def process(self, element):
        (source, bucket), blocks = element
        copies = DocBlock.concat(list(blocks))
        order = np.array(copies.content_order(), np.int64)
        layout, stats = pack_layout(copies.lengths[order], self.seq_len, self.mode)
        for name in ("documents", "rows", "real_tokens", "pad_tokens", "truncated_docs", "dropped_tokens"):
            self.counters("pack").inc(name, getattr(stats, name))
        yield beam.pvalue.TaggedOutput(STATS_TAG, {
            "packed_documents": stats.documents, "truncated_docs": stats.truncated_docs,
            "dropped_tokens": stats.dropped_tokens})
        starts = np.cumsum(copies.lengths) - copies.lengths
        yield (source, bucket), RowBlock.from_layout(
            layout, copies.tokens, starts[order], source, [copies.doc_ids[i] for i in order.tolist()],
            row_permutation(self.seed, source, bucket, layout.rows))


class PackSources(beam.PTransform):
    """Tokenized documents + plan -> ``((source, bucket), RowBlock)`` (main output) and packing stats (``STATS_TAG``).

    Every document is emitted once per epoch it is sampled in (whole epochs plus the hashed
    fraction), hashed into one of its source's ``ceil(tokens_taken / bucket_tokens)`` buckets, and
    each bucket is packed on its own: rows hold one source each, which the blend needs.
    """

    def __init__(self, config: MixtureConfig):
        super().__init__()
        self.config = config

    def expand(self, inputs):
        tokens, plan = inputs
        cfg, seed = self.config, self.config.seed

        def copies(block, plans):
            plan = plans[block.source]
            buckets = max(1, math.ceil(plan.tokens_taken / cfg.bucket_tokens))
            for bucket, sampled in sample_copies(block, plan, seed, buckets).items():
                yield (block.source, bucket), sampled

        buckets = (
            tokens
            | "Sample" >> beam.FlatMap(copies, beam.pvalue.AsSingleton(plan))
            | "GroupBuckets" >> beam.GroupByKey()
        )
        return counted(buckets, "Pack", _PackBucket(cfg.seq_len, cfg.packing, seed), tags=(STATS_TAG,), main="rows")


class BlendIntoShards(beam.PTransform):
    """``((source, bucket), RowBlock)`` -> shard files in blend order (``curation.shards.blend``).

    Returns the shards' manifest entries. Each bucket's rows get their blend times at once
    (numpy) and travel to their shards as one block per (bucket, shard).
    """

    def __init__(self, config: MixtureConfig, output_dir: str, tok_info: dict[str, Any]):
        super().__init__()
        self.config, self.output_dir, self.tok_info = config, output_dir, tok_info

    def expand(self, blocks):
        cfg = self.config
        order = {s.name: i for i, s in enumerate(cfg.sources)}
        bucket_tokens = (blocks
                         | "BucketTokens" >> beam.Map(lambda kb: (kb[0], int(kb[1].seg_lengths.sum())))
                         | "BucketTable" >> beam.combiners.ToDict())
        num_shards = (blocks
                      | "BlockRows" >> beam.Map(lambda kb: kb[1].num_rows)
                      | "CountRows" >> beam.CombineGlobally(sum)
                      | "NumShards" >> beam.Map(lambda n: max(1, math.ceil(n / cfg.rows_per_shard))))

        def assign(keyed_block, buckets, n):
            (source, bucket), block = keyed_block
            times, shards = blend_times(block.row_tokens(), source, bucket, buckets, n)
            for shard in np.unique(shards).tolist():
                rows = np.flatnonzero(shards == shard)
                keys = (times[rows], order[source], bucket, rows)
                yield shard, (keys, block.take(rows))

        return (
            blocks
            | "BlendTime" >> beam.FlatMap(assign, beam.pvalue.AsSingleton(bucket_tokens),
                                          beam.pvalue.AsSingleton(num_shards))
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShard" >> beam.ParDo(_WriteShards(self.output_dir, cfg.seq_len, self.tok_info["pad_id"],
                                                      self.tok_info["sha256"]), beam.pvalue.AsSingleton(num_shards))
        )


class _WriteShards(beam.DoFn):
    """``(shard index, parts)`` -> the shard's manifest entry; files written while the next is prepared.

    A shard is prepared here (blend order, columns: numpy and Python) and then encoded, hashed
    and written on a background thread (Parquet, zstd, SHA-256: outside the GIL), so that
    work overlaps the next shards' preparation instead of leaving a core idle. At most
    ``WRITERS`` shards are being written while one more is prepared.
    """

    # Two writers: encoding a shard takes longer than preparing one, so with a single writer this
    # thread waited on it for most of the stage (20 shards of 1.3M tokens on 2 cores: 2.3 s one
    # by one, 2.0 s with one writer, 1.4 s with two; each shard in flight holds ~25-50 MB).
    WRITERS = 2

    def __init__(self, output_dir: str, seq_len: int, pad_id: int, tokenizer_sha256: str):
        self.output_dir, self.seq_len, self.pad_id, self.sha = output_dir, seq_len, pad_id, tokenizer_sha256

    def setup(self):
        self.writer = Ahead(self.WRITERS, "write-shard")

    def teardown(self):
        self.writer.close()

    def start_bundle(self):
        self.writer.reset()  # a write left over from a failed bundle on a reused instance

    def process(self, element, num_shards):
        index, parts = element
        name = shard_file_name(index, num_shards)
        table, entry = prepare_shard(name, blend_order(parts), self.seq_len, self.pad_id, self.sha)
        for _, done in self.writer.done(keep=self.WRITERS - 1):  # the oldest shards, written meanwhile
            yield done
        self.writer.submit(None, write_prepared, join(self.output_dir, name), table, entry)

    def finish_bundle(self):
        for _, done in self.writer.done(keep=0):
            yield WindowedValue(done, MIN_TIMESTAMP, [GlobalWindow()])


class BuildShards(beam.PTransform):
    """The whole stage from mixture sources to shard files; returns the manifest path PCollection."""

    def __init__(self, config: MixtureConfig, tokenizer_dir: str, output_dir: str, tok_info: dict[str, Any]):
        super().__init__()
        self.config = config
        self.tokenizer_dir = tokenizer_dir
        self.output_dir = output_dir
        self.tok_info = tok_info

    def expand(self, pbegin):
        cfg, info, out = self.config, self.tok_info, self.output_dir
        tokens = pbegin | "TokenizeSources" >> TokenizeSources(cfg, self.tokenizer_dir)
        plan = tokens | "PlanMixture" >> PlanMixture(cfg)
        packed = (tokens, plan) | "PackSources" >> PackSources(cfg)
        shards = packed.rows | "BlendIntoShards" >> BlendIntoShards(cfg, out, info)
        pack_stats = packed[STATS_TAG] | "PackStats" >> beam.CombineGlobally(_SumStats())

        def manifest(entries, plans, stats):
            return write_manifest(out, build_manifest(
                seq_len=cfg.seq_len, pad_id=info["pad_id"], eos_id=info["eos_id"], bos_id=info["bos_id"],
                vocab_size=info["vocab_size"], tokenizer_path=info["path"], tokenizer_sha256=info["sha256"],
                packing=cfg.packing, seed=cfg.seed, shards=entries, plans=plans,
                packing_stats=stats, total_tokens_budget=cfg.total_tokens))

        return (
            shards
            | "AllShards" >> beam.combiners.ToList()
            | "WriteManifest" >> beam.Map(manifest, beam.pvalue.AsSingleton(plan), beam.pvalue.AsSingleton(pack_stats))
        )


def run_shards(config: MixtureConfig, tokenizer_dir: str, output_dir: str,
               beam_args: list[str] | None = None, echo: bool = True) -> dict:
    """Build the shards; returns the manifest. Prints the counters and the mixture table."""
    import json

    from curation.shards.mixture import format_mixture_table
    from pipelines.metrics import run_and_report
    from pipelines.options import make_options

    info = tokenizer_info(tokenizer_dir)
    make_dirs(output_dir)
    inputs = expand([path for source in config.sources for path in source.paths])
    pipeline = beam.Pipeline(options=make_options(beam_args, inputs))
    _ = pipeline | "Shards" >> BuildShards(config, tokenizer_dir, output_dir, info)
    # An earlier run's shards and manifest are removed first (fewer shards would leave stale ones).
    run_and_report(pipeline, output_dir, echo=echo, marker={"stage": "shards"})
    manifest = json.loads(read_bytes(join(output_dir, MANIFEST_NAME)))
    if echo:
        print(format_mixture_table(manifest["mixture"]))
        t = manifest["totals"]
        print(f"{t['rows']:,} rows x {manifest['seq_len']} tokens in {len(manifest['shards'])} shards, "
              f"padding {t['pad_fraction']:.2%}, truncated documents {t.get('truncated_docs', 0):,}")
    return manifest
