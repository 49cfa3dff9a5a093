"""Near-duplicate removal with MinHash LSH, as one self-contained Beam transform.

``docs | NearDedup(DedupConfig(...))`` returns a dict of PCollections:

* ``"kept"``: the documents that survive, with ``dedup_cluster`` (id of the cluster's
  kept document, its own id when it has no duplicate), ``dedup_cluster_size`` and
  ``duplicate=False``;
* ``"duplicates"``: the removed documents, same fields, ``duplicate=True``;
* ``"pairs"``: duplicate edges ``{"id", "a", "b", "jaccard", "verified"}`` (empty unless
  ``config.emit_pairs``);
* ``"index_rows"``: band keys and shingle hashes of the kept documents (empty unless
  ``write_index``), for :class:`pipelines.dedup_index.WriteIndex`.

Data flow (every step keyed, no worker ever holds the corpus; the group-bys and joins go
through sorted spill files, ``pipelines.spill``, so a local runner's memory stays flat too):

1. documents in numpy batches -> signature -> ``bands`` 64-bit band keys (band index folded in);
2. ``(band key, member)`` -> ``GroupByKey`` -> buckets with more than one member become edges:
   all pairs when the bucket is small enough to verify, else a star from its lowest id;
3. edges deduplicated per pair; with ``verify`` two joins by id attach the shingle hash sets
   and keep pairs whose exact Jaccard reaches the threshold;
4. connected components by large-star / small-star rounds of groupings
   (:mod:`pipelines.dedup_components`): no worker holds more than one vertex's state, and a
   graph that needs more than ``components_max_rounds`` rounds fails the job, never silently;
5. cluster assignments joined back to the documents by id; the kept one is chosen by the rule
   of :func:`filters.dedup_clusters.keep_rank`.

With ``index`` (a directory written by an earlier run), the indexed documents join the
buckets as members that are always kept and never emitted: new documents that match them
are removed, which is the incremental mode.

Counters (namespace ``dedup``): ``in``, ``out``, ``dropped:near_duplicate``,
``dropped:duplicate_id``, ``no_shingles``, ``buckets_multi``, ``candidate_pairs``,
``trusted_pairs``, ``verified_pairs``, ``rejected_pairs``, ``clusters``, ``index_matches``,
``component_rounds``.
"""
from __future__ import annotations

import json
from typing import Any

import apache_beam as beam
import numpy as np

from filters.dedup_clusters import bucket_edges, merge_edge_copies
from filters.dedup_config import DedupConfig
from filters.minhash import MinHasher, band_keys, jaccard
from pipelines.counters import CountingDoFn, counted
from pipelines.dedup_components import ConnectedComponents
from pipelines.spill import ExternalCoGroupByKey, ExternalCombinePerKey, ExternalGroupByKey

NS = "dedup"
DUPLICATES_TAG = "duplicates"
INDEX_TAG = "index_rows"


class _SignBatch(CountingDoFn):
    """A batch of documents -> one sketch per document: ``(id, quality, band keys, shingle hashes)``."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def setup(self):
        cfg = self.config
        self.bands, self.rows = cfg.band_rows()
        self.hasher = MinHasher(cfg.num_perm, cfg.seed, cfg.ngram, cfg.hashfunc, cfg.normalize)

    def process(self, batch: list[dict[str, Any]]):
        sets = [self.hasher.shingle_hashes(doc["text"]) for doc in batch]
        keys = band_keys(self.hasher.signatures(sets), self.bands, self.rows)
        for doc, hashes, row in zip(batch, sets, keys):
            if len(hashes) == 0:  # empty text: an all-max signature would collide with every other one
                self.counters(NS).inc("no_shingles")
                continue
            yield doc["id"], doc.get("quality_score"), row.tolist(), hashes.tobytes()


class _BucketEdges(CountingDoFn):
    """A bucket's members -> candidate edges (``filters.dedup_clusters.bucket_edges``)."""

    def __init__(self, verify: bool, verify_max_bucket: int):
        self.verify, self.max_bucket = verify, verify_max_bucket

    def process(self, bucket):
        edges = bucket_edges(bucket[1], self.verify, self.max_bucket)
        if edges:
            self.counters(NS).inc("buckets_multi")
        yield from edges


class _AttachFirst(beam.DoFn):
    """Join 1 of verification: edges keyed by their first id get that document's shingles."""

    def process(self, joined):
        _, groups = joined
        shingles = sorted(groups["sh"])
        if not shingles:
            return
        for edge in groups["edge"]:
            yield edge[1][0], (edge, shingles[0])


class _VerifyPair(CountingDoFn):
    """Join 2 of verification: exact Jaccard of both shingle sets against the threshold."""

    def __init__(self, threshold: float):
        self.threshold = threshold

    def process(self, joined):
        _, groups = joined
        shingles = sorted(groups["sh"])
        if not shingles:
            return
        b_set = np.frombuffer(shingles[0], dtype=np.uint32)
        for (a, b, _), a_bytes in groups["edge"]:
            score = jaccard(np.frombuffer(a_bytes, dtype=np.uint32), b_set)
            if score >= self.threshold:
                self.counters(NS).inc("verified_pairs")
                yield a, b, round(score, 6)
            else:
                self.counters(NS).inc("rejected_pairs")


class _Annotate(CountingDoFn):
    """Join documents with their cluster assignment; route kept ones and duplicates."""

    def __init__(self, write_index: bool):
        self.write_index = write_index

    def process(self, joined):
        doc_id, groups = joined
        docs = groups["doc"]
        if docs:  # no documents: an indexed one, already published by an earlier run
            yield from self._annotate(doc_id, docs, groups)

    def _annotate(self, doc_id, docs, groups):
        if len(docs) > 1:
            docs = sorted(docs, key=lambda d: json.dumps(d, sort_keys=True, default=str))
        inc = self.counters(NS).inc
        inc("in", len(docs))
        assignment = groups["cluster"][0] if groups["cluster"] else None
        first = dict(docs[0])
        if assignment is None:
            first.update(dedup_cluster=doc_id, dedup_cluster_size=1, duplicate=False)
        else:
            _, cluster, size, duplicate, _ = assignment
            first.update(dedup_cluster=cluster, dedup_cluster_size=size, duplicate=duplicate)
            if not duplicate:
                inc("clusters")
            elif assignment[4]:  # the kept document is an indexed one
                inc("index_matches")
        if first["duplicate"]:
            inc("dropped:near_duplicate")
            yield beam.pvalue.TaggedOutput(DUPLICATES_TAG, first)
        else:
            inc("out")
            yield first
            if self.write_index and groups["sketch"]:
                _, quality, keys, shingles = min(groups["sketch"], key=lambda s: s[3])
                yield beam.pvalue.TaggedOutput(INDEX_TAG, {
                    "id": doc_id, "quality_score": quality, "band_keys": keys, "shingles": shingles})
        for extra in docs[1:]:  # the same id twice: a byte-level copy of the same record
            inc("dropped:duplicate_id")
            yield beam.pvalue.TaggedOutput(DUPLICATES_TAG, dict(
                extra, dedup_cluster=first["dedup_cluster"], dedup_cluster_size=first["dedup_cluster_size"],
                duplicate=True))


class NearDedup(beam.PTransform):
    """MinHash LSH near-duplicate removal of a PCollection of documents (module doc for outputs).

    ``config``: a :class:`DedupConfig` (defaults when ``None``). ``index``: directory of
    an earlier run's index to deduplicate against (incremental mode), or ``None``.
    ``write_index``: also produce ``"index_rows"`` for the kept documents.
    """

    def __init__(self, config: DedupConfig | None = None, index: str | None = None, write_index: bool = False):
        super().__init__()
        self.config = config or DedupConfig()
        self.index = index
        self.write_index = write_index

    def expand(self, docs):
        cfg = self.config
        sketches = (
            docs
            | "Batch" >> beam.BatchElements(min_batch_size=cfg.batch_size, max_batch_size=cfg.batch_size)
        )
        sketches = counted(sketches, "Sign", _SignBatch(cfg))["main"]
        members = sketches | "BandMembers" >> beam.FlatMap(
            lambda s: ((key, (s[0], s[1], False)) for key in s[2]))
        shingles = sketches | "ShinglesById" >> beam.Map(lambda s: (s[0], s[3]))
        if self.index:
            from pipelines.dedup_index import ReadIndex

            indexed = docs.pipeline | "ReadIndex" >> ReadIndex(self.index, cfg)
            # Tuples, not Flatten: the local runner would hold a flattened collection in memory.
            members = (members, indexed | "IndexMembers" >> beam.FlatMap(
                lambda r: ((key, (r["id"], r["quality_score"], True)) for key in r["band_keys"])))
            shingles = (shingles, indexed | "IndexShingles" >> beam.Map(lambda r: (r["id"], r["shingles"])))

        buckets = members | "Buckets" >> ExternalGroupByKey()
        edges = counted(buckets, "BucketEdges", _BucketEdges(cfg.verify, cfg.verify_max_bucket))["main"]
        edges = counted(edges | "DistinctEdges" >> ExternalCombinePerKey(_EdgeCopies()), "CountCandidates",
                        _CountCandidate())["main"]
        trusted = edges | "Trusted" >> beam.Filter(lambda e: e[1][2]) | "TrustedEdge" >> beam.Map(
            lambda e: (e[1][0], e[1][1], None))
        if cfg.verify:
            checked = (
                {"sh": shingles, "edge": edges | "Unverified" >> beam.Filter(lambda e: not e[1][2])
                 | "ByFirst" >> beam.Map(lambda e: (e[0][0], e[1]))}
                | "JoinFirst" >> ExternalCoGroupByKey()
                | "AttachFirst" >> beam.ParDo(_AttachFirst())
            )
            joined = {"sh": shingles, "edge": checked} | "JoinSecond" >> ExternalCoGroupByKey()
            verified = counted(joined, "Verify", _VerifyPair(cfg.threshold))["main"]
            final_edges = (trusted, verified)  # a tuple, not a Flatten (held in memory on the local runner)
        else:
            final_edges = (trusted,)

        assignments = final_edges | "Components" >> ConnectedComponents(cfg.keep, cfg.components_max_rounds)
        groups = {"doc": docs | "DocById" >> beam.Map(lambda d: (d["id"], d)), "cluster": assignments}
        if self.write_index:
            groups["sketch"] = sketches | "SketchById" >> beam.Map(lambda s: (s[0], s))
        annotated = counted(groups | "JoinClusters" >> ExternalCoGroupByKey(), "Annotate", _Annotate(self.write_index),
                            tags=(DUPLICATES_TAG, INDEX_TAG), main="kept")
        if cfg.emit_pairs:
            pairs = final_edges | "AllEdges" >> beam.Flatten() | "PairRecords" >> beam.Map(lambda e: {
                "id": f"{e[0][0]}|{e[1][0]}", "a": e[0][0], "b": e[1][0], "jaccard": e[2],
                "verified": e[2] is not None})
        else:
            pairs = docs.pipeline | "NoPairs" >> beam.Create([])
        return {"kept": annotated["kept"], "duplicates": annotated[DUPLICATES_TAG], "pairs": pairs,
                "index_rows": annotated[INDEX_TAG]}


class _EdgeCopies(beam.CombineFn):
    """The copies of one edge from several buckets, merged (:func:`filters.dedup_clusters.merge_edge_copies`)."""

    def create_accumulator(self):
        return None

    def add_input(self, merged, edge):
        return edge if merged is None else merge_edge_copies((merged, edge))

    def merge_accumulators(self, accumulators):
        present = [a for a in accumulators if a is not None]
        return merge_edge_copies(present) if present else None

    def extract_output(self, merged):
        return merged


class _CountCandidate(CountingDoFn):
    def process(self, edge):
        self.counters(NS).inc("trusted_pairs" if edge[1][2] else "candidate_pairs")
        yield edge


class Deduplicate(beam.PTransform):
    """The dedup stage: exact dedup first when ``config.exact.enabled`` (cheap), then :class:`NearDedup`
    on what it keeps. Outputs as NearDedup's; ``"duplicates"`` holds both kinds (a tuple of two
    PCollections when exact dedup ran)."""

    def __init__(self, config: DedupConfig | None = None, index: str | None = None, write_index: bool = False):
        super().__init__()
        self.config = config or DedupConfig()
        self.index, self.write_index = index, write_index

    def expand(self, docs):
        exact = None
        if self.config.exact.enabled:
            from pipelines.dedup_exact import ExactDedup

            exact = docs | "Exact" >> ExactDedup(self.config.exact, self.config.keep)
            docs = exact["kept"]
        result = docs | "Near" >> NearDedup(self.config, self.index, self.write_index)
        if exact is not None:
            # a tuple, not a Flatten (the local runner would hold it in memory); WriteDocuments takes either
            result["duplicates"] = (exact["duplicates"], result["duplicates"])
        return result


def run_dedup(config: DedupConfig, inputs: list[str], output_dir: str, beam_args: list[str] | None = None,
              *, index: str | None = None, keep_duplicates: bool = False, fmt: str = "parquet",
              echo: bool = True, label: str = "dedup") -> dict[str, dict[str, int]]:
    """The dedup stage as a job (``curation dedup`` and ``curation run``): kept documents in
    ``documents/``, with ``keep_duplicates`` the removed ones in ``duplicates/``, with
    ``config.emit_pairs`` the pairs in ``pairs/``; with ``index`` checked against and added to
    that incremental index. ``errors/``, ``stats.json`` and ``_SUCCESS.json`` as every stage."""
    from curation.io.paths import join
    from pipelines.document_job import run_document_job
    from pipelines.write import WriteDocuments, WriteRecords

    def transform(docs):
        result = docs | "Dedup" >> Deduplicate(config, index=index, write_index=bool(index))
        if keep_duplicates:
            result["duplicates"] | "WriteDuplicates" >> WriteDocuments(join(output_dir, "duplicates"), fmt)
        if config.emit_pairs:
            result["pairs"] | "WritePairs" >> WriteRecords(join(output_dir, "pairs"), "pairs", key="id")
        if index:
            from pipelines.dedup_index import WriteIndex

            result["index_rows"] | "WriteIndex" >> WriteIndex(index, config)
        return result

    bands, rows = config.band_rows()
    return run_document_job(inputs, output_dir, transform, beam_args, label=label, fmt=fmt, echo=echo,
                            stage="dedup", extra={"config": config.model_dump(mode="json"), "bands": bands,
                                                  "rows": rows, "index": index})
