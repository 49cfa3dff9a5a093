"""Connected components by large-star / small-star rounds: the round logic alone, then in Beam,
always against the union-find of :func:`filters.dedup_clusters.clusters_from_edges`."""
from __future__ import annotations

import math
import random

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from filters.dedup_clusters import Node, clusters_from_edges
from filters.dedup_components import NotConverged, components, large_star, small_star, star_role
from pipelines.dedup_components import ConnectedComponents
from pipelines.options import make_options


def random_graph(seed: int) -> list[tuple[Node, Node]]:
    """Pairs, a giant star-ish cluster, a chain in id order and one in random order, indexed nodes."""
    rng = random.Random(seed)
    ids = [f"{rng.getrandbits(48):012x}" for _ in range(600)]
    qualities = [None, math.nan, 0.5] + [rng.random() for _ in range(20)]
    nodes = {i: Node(i, rng.choice(qualities), rng.random() < 0.03) for i in ids}
    pick = lambda k: [nodes[i] for i in ids[k * 100:(k + 1) * 100]]  # noqa: E731
    pairs, giant, chain = pick(0), pick(1), sorted(pick(2))
    edges = [(pairs[2 * k], pairs[2 * k + 1]) for k in range(40)]
    edges += [(rng.choice(giant), rng.choice(giant)) for _ in range(300)]
    edges += [(chain[k], chain[k + 1]) for k in range(99)]
    shuffled = pick(3)
    edges += [(shuffled[k], shuffled[k + 1]) for k in range(99)]
    edges += [(rng.choice(pick(4)), rng.choice(pick(5))) for _ in range(60)]  # a random sparse graph
    edges += [(edges[0][1], edges[0][0]), edges[1]]  # an edge twice, once reversed
    return edges


@pytest.mark.parametrize("rule", ["highest_quality", "lowest_id"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rounds_give_the_union_find_clusters_and_keepers(rule, seed):
    edges = random_graph(seed)
    result, rounds = components(edges, rule)
    assert result == clusters_from_edges(edges, rule)
    assert 1 <= rounds <= 12


def test_rounds_grow_with_the_log_of_a_chain():
    for length, bound in ((10, 5), (1000, 11)):
        nodes = [Node(f"{k:06d}") for k in range(length)]  # id order along the chain: the slow case
        edges = [(nodes[k], nodes[k + 1]) for k in range(length - 1)]
        result, rounds = components(edges)
        assert {a.cluster for a in result} == {"000000"} and result[0].size == length
        assert rounds <= bound
    with pytest.raises(NotConverged, match="did not converge in 3 rounds"):
        components(edges, max_rounds=3)


def test_steps_report_changes_and_tolerate_repeated_neighbours():
    a, b, c, d = (0, "a"), (0, "b"), (0, "c"), (0, "d")
    step = large_star(b, [a, c, d, c])
    assert step.changed and sorted(step.edges) == [(c, a), (c, a), (d, a)]
    step = large_star(a, [b, c])  # a local minimum re-emits its own edges
    assert not step.changed and sorted(step.edges) == [(b, a), (c, a)]
    step = small_star(d, [b, c, b])
    assert step.changed and sorted(step.edges) == [(c, b), (d, b)]
    step = small_star(d, [b, b])
    assert not step.changed and list(step.edges) == [(d, b)]
    assert star_role(a, [b, c, b]) == a and star_role(b, [a, a]) == a
    assert star_role(b, [a, c]) is None and star_role(c, [a, b]) is None


def run_beam(edges, max_rounds: int = 20):
    rows = [(tuple(a), tuple(b), None) for a, b in edges]
    expected = [(a.id, tuple(a)) for a in clusters_from_edges(edges)]
    with beam.Pipeline(options=make_options([])) as pipeline:
        components = ConnectedComponents("highest_quality", max_rounds)
        out = pipeline | beam.Create(rows) | components
        assert_that(out, equal_to(expected))
        assert_that(components.rounds, equal_to([components_rounds(edges)]), label="Rounds")


def components_rounds(edges) -> int:
    return components(edges)[1]


def test_beam_components_equal_union_find():
    run_beam(random_graph(3))


def test_too_few_rounds_fail_the_pipeline_instead_of_wrong_clusters():
    nodes = [Node(f"{k:03d}", 0.5) for k in range(64)]
    with pytest.raises(Exception, match="components_max_rounds"):
        run_beam([(nodes[k], nodes[k + 1]) for k in range(63)], max_rounds=2)


def test_bucket_edges_pairs_when_verifiable_star_when_too_big_never_two_indexed():
    from filters.dedup_clusters import bucket_edges, merge_edge_copies

    c, a, x, b = Node("c"), Node("a"), Node("x", indexed=True), Node("b")
    pairs = bucket_edges([c, a, b, a], verify=True, verify_max_bucket=3)
    assert [key for key, _ in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert all(trusted is False for _, (_, _, trusted) in pairs)
    star = bucket_edges([c, a, b], verify=True, verify_max_bucket=2)
    assert star == [(("a", "b"), (a, b, True)), (("a", "c"), (a, c, True))]
    assert bucket_edges([c, a, b], verify=False, verify_max_bucket=99) == star
    y = Node("y", indexed=True)
    assert [k for k, _ in bucket_edges([x, y, a], verify=True, verify_max_bucket=9)] == [("a", "x"), ("a", "y")]
    assert bucket_edges([x, y], verify=True, verify_max_bucket=9) == []
    assert bucket_edges([a, a], verify=True, verify_max_bucket=9) == []
    assert merge_edge_copies([(a, b, False), (a, b, True)]) == (a, b, True)
