"""The graph's answers handed to the proof kernel, attacked: a claim labelled proved must hold far beyond
any enumeration, which the brute-force run of the graph decides."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv.graphs.decide import valid_sizes
from symconv.graphs.parse import parse_graph
from symconv.graphs.proofs import GraphProofs, _decided_from, _negation, prove_sizes
from symconv.graphs.sizes import oracle_run

from test_graph import graphs, unet


@pytest.mark.parametrize("padded", [True, False])
def test_every_claim_about_a_unet_is_proved(padded):
    found = prove_sizes(parse_graph(unet(4, padded)))
    assert found.proved and found.count("class") == 32 and found.count("size") == 6
    assert str(found) == "proved: 32 of 32 residue classes, 6 of 6 simplified sizes"


def test_what_the_kernel_cannot_close_is_unproved_with_its_reason():
    found = prove_sizes(parse_graph("x = input [L]; a = pool k=3; u = upsample f=3; c = add (x, u)"))
    unproved = [claim for claim in found.claims if claim.status != "proved"]
    assert not found.proved and unproved and all(claim.status == "unproved" and claim.reason for claim in unproved)


def test_negation_is_built_without_not():
    from sympy import And, Eq, Ne, Or, Symbol
    x = Symbol("x")
    assert _negation(And(Eq(x, 1), Or(Eq(x, 2), Ne(x, 3)))) == Or(Ne(x, 1), And(Ne(x, 2), Eq(x, 3)))


def _sizes_far_away(decision, case, rng, count=6):
    lower = _decided_from(decision)
    for _ in range(count):
        n = decision.modulus * rng.randrange(10**3, 10**5) + case.residue
        if n >= lower and n not in case.exceptions:
            yield n


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(max_nodes=6), st.integers(0, 2**32))
def test_a_proved_class_holds_far_beyond_the_enumeration(graph, seed):
    """Every class the kernel proved is run by brute force at sizes up to 10^5 times its modulus."""
    rng = random.Random(seed)
    valid = valid_sizes(graph)
    found = prove_sizes(graph, valid)
    assert isinstance(found, GraphProofs)
    for claim in found.claims:
        if claim.kind != "class" or claim.status != "proved":
            continue
        decision = valid[claim.axis]
        residue = int(claim.where.split("≡ ")[1].split(" ")[0])
        case = next(case for case in decision.cases if case.residue == residue)
        for n in _sizes_far_away(decision, case, rng):
            sizes = {axis: valid[axis].answer.smallest_at_least(1) or 1 for axis in graph.axes}
            sizes[claim.axis] = n
            if all(sizes[axis] in valid[axis].answer for axis in graph.axes if axis != claim.axis):
                assert oracle_run(graph, sizes).ok == case.holds, (str(graph), claim, n)
