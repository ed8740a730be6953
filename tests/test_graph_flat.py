"""Flat sizes: a Linear's in_features after a flatten couples the input axes, decided exactly.

Every answer is checked against :func:`oracle_run`, the brute-force run in which
each op counts its output units and the flatten counts its elements.
"""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import ParameterError, ParseError
from symconv.graphs.decide import valid_sizes
from symconv.graphs.flat import Flat, flat_checks, flat_sizes
from symconv.graphs.graph import Graph
from symconv.graphs.joint import JointSizes, joint_sizes
from symconv.graphs.ops import Dense, Flatten
from symconv.graphs.parse import parse_graph
from symconv.graphs.sizes import analysis, oracle_run, run_graph


def agrees_with_oracle(graph: Graph, high: int) -> None:
    """symconv's answer (every axis in its set, and every flat check met) is where the brute force runs."""
    valid = valid_sizes(graph)
    joint = joint_sizes(graph, valid)
    for values in itertools.product(range(1, high), repeat=len(graph.axes)):
        sizes = dict(zip(graph.axes, values))
        truth = oracle_run(graph, sizes)
        claimed = all(sizes[axis] in valid[axis].answer for axis in graph.axes) and (joint is None or sizes in joint)
        assert claimed == truth.ok, (str(graph), sizes, truth.failure)
        assert run_graph(graph, sizes).ok == truth.ok


VGG_HEAD = "x = input [H, W]; a = conv k=3 p=1; b = pool k=2; c = pool k=2; d = pool k=2; e = pool k=2; " \
           "f = pool k=2; g = flatten c=512; h = gemm in=25088 out=4096; r = relu; l = gemm in=4096 out=10"


def test_a_vgg_without_adaptive_pooling_runs_only_where_its_features_are_7_by_7_or_1_by_49():
    net = parse_graph(VGG_HEAD)
    joint = joint_sizes(net)
    assert [(box[0].first, box[0].high, box[1].first, box[1].high) for box in joint.boxes] == [
        (224, 255, 224, 255), (32, 63, 1568, 1599), (1568, 1599, 32, 63)]
    assert {"H": 224, "W": 255} in joint and {"H": 256, "W": 224} not in joint
    failure = run_graph(net, {"H": 256, "W": 224}).failure
    assert failure.node == "h" and failure.message == \
        "Gemm 'h': its flat input has 28672 = 512 × 8 × 7 features, but it takes 25088"
    assert oracle_run(net, {"H": 256, "W": 224}).failure.node == "h"


@pytest.mark.parametrize("spec, high", [
    ("x = input [H, W]; a = conv k=5 s=3; f = flatten c=2; g = linear in=24", 45),
    ("x = input [L]; a = pool k=3 s=2; u = upsample f=2; f = flatten c=4; g = linear in=40", 80),
    ("x = input [H, W]; a = pool k=2; u = tconv k=2 s=2; c = cat (x, u); f = flatten c=1; g = linear in=36", 40),
    ("x = input [H, 5]; a = conv k=3 s=2; f = flatten c=2; g = linear in=12", 60),
    ("x = input [H, W]; a = pool k=2; f = flatten c=2 size=18; g = linear in=18 out=4; h = linear in=4", 40),
    ("x = input [H, W]; a = conv k=3 s=2 p=1; b = pool k=3 s=2 ceil; f = flatten c=3; g = gemm in=48", 70),
    ("x = input [H, W]; a = pool k=2; b = dropout; f = flatten c=6; g = linear in=12 out=5; h = relu;"
     " i = linear in=5", 30),
    ("x = input [H, W]; a = conv k=3 s=2 (x); b = conv k=1 s=2 (x); c = add (a, b); f = flatten c=1;"
     " g = linear in=2", 30),
    ("x = input [D, H, W]; a = pool k=2; f = flatten c=1; g = linear in=12", 12),
])
def test_flat_checks_are_decided_exactly(spec, high):
    agrees_with_oracle(parse_graph(spec), high)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["conv", "pool", "tconv"]), st.integers(1, 4), st.integers(1, 3),
                          st.integers(0, 1)), min_size=1, max_size=3),
       st.integers(1, 4), st.integers(1, 60))
def test_random_heads_agree_with_the_brute_force(layers, channels, features):
    parts = ["x = input [H, W]"]
    for number, (op, k, s, p) in enumerate(layers):
        p = min(p, k - 1) if op != "conv" else p
        parts.append(f"l{number} = {op} k={k} s={s} p={p}")
    parts += [f"f = flatten c={channels}", f"g = linear in={features * channels}"]
    try:
        net = parse_graph("; ".join(parts))
    except ParameterError:
        return
    agrees_with_oracle(net, 24)


def test_flat_sizes_follow_identity_ops_and_dense_layers():
    net = parse_graph("x = input [H]; a = pool k=2; f = flatten c=8; r = relu; g = linear in=16 out=3; h = linear")
    sizes = flat_sizes(net)
    assert sizes["r"] == Flat(8, "a") and sizes["g"] == Flat(3) and sizes["h"] is None
    assert [check.node for check in flat_checks(net)] == ["g"]
    assert joint_sizes(parse_graph("x = input [H]; f = flatten; g = linear in=16")) is None  # channels unknown


def test_a_constant_mismatch_means_the_graph_never_runs():
    net = parse_graph("x = input [H, 7]; a = pool k=7; g = gpool; f = flatten c=512; l = linear in=500")
    assert analysis(net).never.message == "Linear 'l': its flat input has 512 = 512 × 1 × 1 features, but it takes 500"
    assert not any(valid.answer.residues for valid in valid_sizes(net).values())
    dense = parse_graph("x = input [H]; g = gpool; f = flatten c=4; a = linear in=4 out=3; b = linear in=2")
    assert analysis(dense).never.node == "b"


def test_a_target_that_the_channels_do_not_divide_runs_nowhere():
    joint = joint_sizes(parse_graph("x = input [H]; f = flatten c=3; g = linear in=10"))
    assert isinstance(joint, JointSizes) and not joint.runs and "holds for no input size" in str(joint)


def test_the_text_form_reads_and_writes_flat_items():
    net = parse_graph("x = input [H]; f = flatten c=2 size=8; g = gemm in=8 out=3")
    assert str(net) == "x = input [H]; f = flatten c=2 size=8 (x); g = gemm in=8 out=3 (f)"
    assert parse_graph(str(net)) == net
    assert net.node("g").op == Dense("gemm", 8, 3) and net.node("f").op == Flatten(2, 8)


@pytest.mark.parametrize("spec, message", [
    ("x = input [H]; f = flatten c=0", "channels=0 is invalid: channels is a positive integer"),
    ("x = input [H]; f = flatten c=x", "expected c=N, a positive integer"),
    ("x = input [H]; f = flatten c=²", "expected c=N"),
    ("x = input [H]; f = flatten c=1,2", "expected c=N"),
    ("x = input [H]; f = flatten size=4", "a flatten's size can be checked only when its channels are known"),
    ("x = input [H]; f = flatten c=2 c=3", "c given twice"),
    ("x = input [H]; f = flatten; g = linear k=3", "unknown item: linear takes in=, out="),
    ("x = input [H]; f = flatten; g = linear in=99999999999999", "expected in=N"),
])
def test_bad_flat_items_are_one_line(spec, message):
    with pytest.raises((ParseError, ParameterError)) as error:
        parse_graph(spec)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("make", [lambda: Dense("linear", 0), lambda: Dense("linear", True),
                                  lambda: Flatten(2.5), lambda: Dense("linear", 10**13)])
def test_bad_features_from_python(make):
    with pytest.raises(ParameterError, match=r"is a positive integer, at most|integers are at most 1000000000000"):
        make()


def test_an_adaptive_pool_that_keeps_one_axis():
    net = parse_graph("x = input [H, W]; a = conv k=3 s=2; b = apool size=_,7; f = flatten c=8; l = linear in=56")
    assert str(net).endswith("b = apool size=_,7 (a); f = flatten c=8 (b); l = linear in=56 (f)")
    assert parse_graph(str(net)) == net
    agrees_with_oracle(net, 20)
    for spec, message in [("x = input [H]; a = apool size=_", "keeps every axis is shape-preserving"),
                          ("x = input [H, W]; a = resize size=_,3", "expected size=N")]:
        with pytest.raises((ParseError, ParameterError), match=message):
            parse_graph(spec)
