"""Connected components of the duplicate graph by large-star / small-star rounds (no Beam).

Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014). A vertex is
the keep-rule rank of a document (:func:`vertex`), so vertices are totally ordered and
the smallest vertex of a component is the document the component keeps. One *round* is
two steps, each a group-by-vertex:

* **large star** at ``v`` (all neighbours): every neighbour ``u > v`` is re-linked to the
  smallest of ``v`` and its neighbours;
* **small star** at ``v`` (neighbours ``u < v`` only): ``v`` and those neighbours are all
  linked to the smallest of them.

Both keep every component connected and never join two components; repeated, they turn
each component into a star whose centre is its smallest vertex. A step *changes* the
graph at ``v`` only in the cases that :func:`large_star` / :func:`small_star` report, so
a round with no change anywhere proves the graph is a star forest (:func:`star_role`
checks this per vertex). Rounds needed are O(log^2 n) in the proof and ~log n in practice.

The functions take the neighbours of one vertex as a re-iterable (a grouped value) and read
it twice, holding O(1) state of their own beyond it. Neighbours may repeat (edges are not
de-duplicated between steps; the multiset of edges never grows).
"""
from __future__ import annotations

from typing import Iterable, Iterator, NamedTuple

from filters.dedup_clusters import Assignment, Node, keep_rank

Vertex = tuple  # keep_rank(node): (not indexed, [-quality,] id); smaller = kept first
Edge = tuple  # (larger vertex, smaller vertex)


def vertex(node: Node, rule: str = "highest_quality") -> Vertex:
    """A document as a graph vertex: its keep rank (ends with the id, starts with ``not indexed``)."""
    return keep_rank(node, rule)


def vertex_id(v: Vertex) -> str:
    return v[-1]


def vertex_indexed(v: Vertex) -> bool:
    return not v[0]


def edge(a: Vertex, b: Vertex) -> Edge:
    """An undirected edge, larger vertex first."""
    return (a, b) if a > b else (b, a)


class StepResult(NamedTuple):
    changed: bool  # the step re-links something at this vertex
    edges: Iterator[Edge]  # lazily: the second pass over the neighbours


def large_star(v: Vertex, neighbours: Iterable[Vertex]) -> StepResult:
    """Link every larger neighbour of ``v`` to ``m`` = min(v, neighbours).

    Changes the graph at ``v`` iff ``v`` has both a smaller and a larger neighbour.
    """
    low, larger = v, False
    for u in neighbours:
        if u < low:
            low = u
        elif u > v:
            larger = True

    def emit():
        for u in neighbours:
            if u > v:
                yield u, low

    return StepResult(larger and low < v, emit())


def small_star(v: Vertex, smaller: Iterable[Vertex]) -> StepResult:
    """Link ``v`` and its smaller neighbours to the smallest of them.

    Changes the graph at ``v`` iff ``v`` has two or more distinct smaller neighbours.
    """
    low = other = None
    for u in smaller:
        if low is None or u < low:
            if low is not None:
                other = low
            low = u
        elif u != low:
            other = u
    if low is None:
        return StepResult(False, iter(()))

    def emit():
        yield v, low
        for u in smaller:
            if u != low:
                yield u, low

    return StepResult(other is not None, emit())


def star_role(v: Vertex, neighbours: Iterable[Vertex]) -> Vertex | None:
    """In a converged graph: ``v`` itself for a centre, its centre for a leaf.

    ``None`` when the graph around ``v`` is not a star yet (more rounds were needed).
    """
    centre, larger = None, False
    for u in neighbours:
        if u > v:
            larger = True
        elif centre is None:
            centre = u
        elif u != centre:
            return None  # two smaller neighbours
    if centre is None:
        return v
    return None if larger else centre


def star_assignments(centre: Vertex, members: Iterable[Vertex]) -> Iterator[Assignment]:
    """One :class:`Assignment` per member of the star at ``centre`` (members distinct, centre included)."""
    size = sum(1 for _ in members)
    kept, indexed = vertex_id(centre), vertex_indexed(centre)
    for m in members:
        yield Assignment(vertex_id(m), kept, size, m != centre, indexed)


class NotConverged(RuntimeError):
    """The bound on rounds was reached before every component became a star."""


def _group(pairs: Iterable[tuple]) -> dict:
    groups: dict = {}
    for key, value in pairs:
        groups.setdefault(key, []).append(value)
    return groups


def run_round(edges: list[Edge]) -> tuple[list[Edge], int]:
    """One large-star + small-star round in memory: (new edges, vertices changed)."""
    changed = 0
    out: list[Edge] = []
    for v, ns in _group(p for a, b in edges for p in ((a, b), (b, a))).items():
        step = large_star(v, ns)
        changed += step.changed
        out.extend(step.edges)
    edges, out = out, []
    for v, ns in _group(edges).items():
        step = small_star(v, ns)
        changed += step.changed
        out.extend(step.edges)
    return out, changed


def components(edges: Iterable[tuple[Node, Node]], rule: str = "highest_quality",
               max_rounds: int = 40) -> tuple[list[Assignment], int]:
    """The rounds in memory (tests, bench): sorted assignments and the rounds that changed the graph.

    Same result as :func:`filters.dedup_clusters.clusters_from_edges`.
    """
    graph = [edge(vertex(a, rule), vertex(b, rule)) for a, b in edges]
    graph = [e for e in graph if e[0] != e[1]]
    rounds = 0
    for _ in range(max_rounds):
        graph, changed = run_round(graph)
        if not changed:
            break
        rounds += 1
    members: dict = {}
    for v, ns in _group(p for a, b in graph for p in ((a, b), (b, a))).items():
        centre = star_role(v, ns)
        if centre is None:
            raise NotConverged(f"connected components did not converge in {max_rounds} rounds "
                               f"(vertex {vertex_id(v)!r} is not in a star yet)")
        members.setdefault(centre, set()).add(v)
    result = [a for centre, ms in members.items() for a in star_assignments(centre, sorted(ms))]
    return sorted(result), rounds
