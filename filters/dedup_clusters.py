"""Duplicate clusters from duplicate edges: a mergeable union-find and the keep rule (no Beam).

Only documents that appear in at least one duplicate edge enter the union-find,
so its memory is bounded by the number of edges (at most two nodes per edge), not
by the corpus size. Partial union-finds built on different workers merge by
replaying one's parent links into the other (each link joins two members of one
component), which makes the structure a Beam ``CombineFn`` accumulator.
"""
from __future__ import annotations

import math
from typing import Iterable, Iterator, NamedTuple


class Node(NamedTuple):
    """A document in a duplicate edge: its id, quality score and whether it is already indexed."""

    id: str
    quality: float | None = None
    indexed: bool = False  # from the stored index of an earlier run: always kept, never re-emitted


class Assignment(NamedTuple):
    id: str
    cluster: str  # id of the kept document
    size: int
    duplicate: bool
    kept_indexed: bool  # the kept document comes from the stored index (incremental mode)


def keep_rank(node: Node, rule: str = "highest_quality") -> tuple:
    """Sort key of the keep rule: the smallest rank in a cluster is kept.

    Documents of an already-deduplicated corpus (``indexed``) always win: they are
    published. Then ``highest_quality`` (missing score = lowest) or ``lowest_id``;
    ties go to the lowest id, so the choice never depends on input order.
    """
    if rule == "highest_quality":
        quality = node.quality if node.quality is not None and not math.isnan(node.quality) else -math.inf
        return (not node.indexed, -quality, node.id)
    if rule == "lowest_id":
        return (not node.indexed, node.id)
    raise ValueError(f"unknown keep rule {rule!r}")


class UnionFind:
    """Union-find over document ids with path halving; ``nodes`` keeps each node's :class:`Node`."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.nodes: dict[str, Node] = {}

    def add(self, node: Node) -> None:
        if node.id not in self.parent:
            self.parent[node.id] = node.id
            self.nodes[node.id] = node

    def find(self, x: str) -> str:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: Node, b: Node) -> None:
        self.add(a)
        self.add(b)
        ra, rb = self.find(a.id), self.find(b.id)
        if ra != rb:
            # Lower id becomes the root: keeps trees shallow enough and independent of edge order.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra

    def merge(self, other: "UnionFind") -> None:
        for node_id, parent in other.parent.items():
            self.union(other.nodes[node_id], other.nodes[parent])

    def assignments(self, rule: str = "highest_quality") -> Iterator[Assignment]:
        """One :class:`Assignment` per node, in id order."""
        members: dict[str, list[str]] = {}
        for node_id in self.parent:
            members.setdefault(self.find(node_id), []).append(node_id)
        for ids in members.values():
            kept = min((self.nodes[i] for i in ids), key=lambda n: keep_rank(n, rule))
            for node_id in ids:
                yield Assignment(node_id, kept.id, len(ids), node_id != kept.id, kept.indexed)


def clusters_from_edges(edges: Iterable[tuple[Node, Node]], rule: str = "highest_quality") -> list[Assignment]:
    """Resolve clusters without Beam (tests, notebooks): sorted by id."""
    uf = UnionFind()
    for a, b in edges:
        uf.union(a, b)
    return sorted(uf.assignments(rule))


def bucket_edges(members: Iterable[Node], verify: bool, verify_max_bucket: int) -> list[tuple[tuple[str, str], tuple]]:
    """The candidate edges of one LSH bucket: ``((a.id, b.id), (a, b, trusted))`` with ``a.id < b.id``.

    A bucket small enough to verify gives every pair (each to be checked by exact Jaccard,
    ``trusted=False``); a bigger one, or any bucket when ``verify`` is off, gives a star from
    its smallest id (``trusted=True``: connected with n-1 edges instead of n^2/2 pairs). A pair
    of two indexed documents is never an edge (both are kept already). Empty for a bucket with
    fewer than two distinct ids or only indexed ones.
    """
    nodes = sorted({m[0]: m for m in members}.values())  # one entry per id, id order
    if len(nodes) < 2 or all(n[2] for n in nodes):
        return []
    if verify and len(nodes) <= verify_max_bucket:
        return [((a[0], b[0]), (a, b, False)) for i, a in enumerate(nodes) for b in nodes[i + 1:] if not (a[2] and b[2])]
    hub = nodes[0]
    return [((hub[0], b[0]), (hub, b, True)) for b in nodes[1:] if not (hub[2] and b[2])]


def merge_edge_copies(values: Iterable[tuple]) -> tuple:
    """Copies of one edge from several buckets: same nodes; trusted if any bucket trusted it."""
    values = list(values)
    a, b, _ = values[0]
    return a, b, any(v[2] for v in values)
