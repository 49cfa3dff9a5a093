"""Connected components of the duplicate graph in Beam: large-star / small-star rounds.

``edges | ConnectedComponents(rule, max_rounds)`` turns duplicate edges ``(node_a, node_b, ...)``
(:class:`filters.dedup_clusters.Node` fields) into ``(id, Assignment)`` for every document
in an edge. The round logic is :mod:`filters.dedup_components`; this file only wires it.

A Beam graph is static, so ``max_rounds`` rounds are unrolled (two groupings each: large
star keyed by every vertex, small star keyed by the larger end of each edge). Once the graph
is a star forest a round changes nothing, so extra rounds cost a shuffle each but never change
the answer. After the last round every vertex checks that it is a star centre or a leaf
(:func:`filters.dedup_components.star_role`); if any is not, the bound was too low and the
pipeline fails with :class:`NotConverged` naming ``dedup.components_max_rounds``: clusters are
never silently wrong. (The unrolled steps declare their output types: Beam would otherwise
infer each one from its bytecode while building the pipeline, a fixed cost times ~100.)
Rounds needed grow with log2 of the longest chain of duplicates (a sorted 100k-document
chain needs 17; docs/dedup.md). Each round that changed the graph is counted (counter
``dedup/component_rounds``) and logged to stderr.

No worker holds more than one vertex's state: each step reads a vertex's neighbours twice
from its group. Every grouping goes through :class:`pipelines.spill.ExternalGroupByKey`
(sorted spill runs), so a local runner does not hold a round's edges in memory (Beam's
``GroupByKey`` there held ~1.2 KB per edge: 1.3 GB at 1.1M edges, ``bench/dedup_components.py``).
Only grouping, Flatten and ParDo: no CoGroupByKey (Beam's Dask runner mishandles it).
"""
from __future__ import annotations

import sys
from typing import Any

import apache_beam as beam

from filters.dedup_clusters import Node
from filters.dedup_components import NotConverged, edge, large_star, small_star, star_assignments, star_role, vertex
from pipelines.counters import CountingDoFn, counted
from pipelines.spill import ExternalGroupByKey, as_tuple, each_part, spill_directory


def _split(outputs, label: str):
    """(edges, change markers) of one step's output. Not a tagged multi-output ParDo: Beam's Dask
    runner feeds every output of such a ParDo to each consumer (Beam 2.77)."""
    return (outputs | f"{label}Edges" >> beam.Filter(lambda x: isinstance(x, tuple)).with_output_types(Any),
            outputs | f"{label}Changes" >> beam.Filter(lambda x: isinstance(x, int)).with_output_types(int))


def _both_ways(e):
    a, b = e
    yield a, b
    yield b, a


class _Step(beam.DoFn):
    """One large-star or small-star step on a vertex's grouped neighbours."""

    def __init__(self, step, round_index: int):
        self.step, self.round_index = step, round_index

    def start_bundle(self):
        self.reported = False

    def process(self, group):
        v, neighbours = group
        result = self.step(v, neighbours)
        if result.changed and not self.reported:  # one marker per bundle and round is enough for a max
            self.reported = True
            yield self.round_index  # an int beside the edge tuples: see _split
        yield from result.edges


class _StarRole(beam.DoFn):
    """After the last round: ``(centre, member)`` per vertex, or fail if the graph is not a star forest."""

    def __init__(self, max_rounds: int):
        self.max_rounds = max_rounds

    def process(self, group):
        v, neighbours = group
        centre = star_role(v, neighbours)
        if centre is None:
            raise NotConverged(
                f"connected components: not converged after {self.max_rounds} rounds (document {v[-1]!r} is "
                f"not in a star yet); raise dedup.components_max_rounds (e.g. --set "
                f"components_max_rounds={2 * self.max_rounds})")
        yield centre, v


class _LogRounds(CountingDoFn):
    def __init__(self, max_rounds: int):
        self.max_rounds = max_rounds

    def process(self, keyed_rounds: tuple):
        rounds = keyed_rounds[1]
        self.counters("dedup").inc("component_rounds", rounds)
        print(f"  dedup: connected components converged after {rounds} round(s) (bound {self.max_rounds})",
              file=sys.stderr, flush=True)
        yield rounds


class ConnectedComponents(beam.PTransform):
    """Duplicate edges -> ``(id, Assignment)`` per document in an edge (module doc).

    ``rule``: the keep rule (:func:`filters.dedup_clusters.keep_rank`); ``max_rounds``: rounds unrolled.
    The ``"rounds"`` output (one integer: rounds that changed the graph) is available as ``.rounds``
    after application.
    """

    def __init__(self, rule: str = "highest_quality", max_rounds: int = 20):
        super().__init__()
        self.rule, self.max_rounds = rule, max_rounds
        self.rounds = None

    def expand(self, edges):
        rule = self.rule
        parts = as_tuple(edges)  # a tuple of edge PCollections is read as one (no Flatten, see pipelines.spill)
        graph = each_part(parts, "Vertices", lambda: (
            beam.Map(lambda e: edge(vertex(Node(*e[0]), rule), vertex(Node(*e[1]), rule))).with_output_types(Any)
            | beam.Filter(lambda e: e[0] != e[1]).with_output_types(Any)))  # no self-loops
        markers = []
        for r in range(1, self.max_rounds + 1):
            # one spill directory per round, removed once its second grouping has merged
            spilled = spill_directory(parts[0].pipeline)
            large, large_changes = _split(
                each_part(graph, f"LargeStarKeys{r}", lambda: beam.FlatMap(_both_ways).with_output_types(Any))
                | f"LargeStarGroup{r}" >> ExternalGroupByKey(directory=spilled, cleanup=False)
                | f"LargeStar{r}" >> beam.ParDo(_Step(large_star, r)).with_output_types(Any), f"LargeStar{r}")
            graph, small_changes = _split(
                large
                # edges are (larger, smaller): keyed by the larger
                | f"SmallStarGroup{r}" >> ExternalGroupByKey(directory=spilled)
                | f"SmallStar{r}" >> beam.ParDo(_Step(small_star, r)).with_output_types(Any), f"SmallStar{r}")
            markers += [large_changes, small_changes]
        none = parts[0].pipeline | "NoChange" >> beam.Create([0])  # the count when nothing ever changed
        self.rounds = (
            [none, *markers]
            | "AllChanges" >> beam.Flatten()
            # CombinePerKey rather than CombineGlobally, whose default value is a side input that
            # Beam's Dask runner recomputes from the start of the pipeline.
            | "OneKey" >> beam.Map(lambda r: (None, r))
            | "RoundsChanged" >> beam.CombinePerKey(max)
        )
        self.rounds = counted(self.rounds, "LogRounds", _LogRounds(self.max_rounds))["main"]
        spilled = spill_directory(parts[0].pipeline)
        return (
            each_part(graph, "CheckKeys", lambda: beam.FlatMap(_both_ways).with_output_types(Any))
            | "CheckGroup" >> ExternalGroupByKey(directory=spilled, cleanup=False)
            | "StarRole" >> beam.ParDo(_StarRole(self.max_rounds)).with_output_types(Any)
            | "Stars" >> ExternalGroupByKey(directory=spilled)
            | "Assign" >> beam.FlatMap(lambda star: ((a.id, tuple(a)) for a in star_assignments(*star)))
        )
