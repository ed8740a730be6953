"""Receptive fields done right at the edges and behind SAME padding, against a Jacobian measurement.

Every layer is built as a linear map with positive weights: from the oracle's connectivity matrices
(numpy) and, where torch is installed, as real modules whose Jacobian autograd computes. A unit
depends on an input unit exactly where the Jacobian is nonzero; its region is the first and last such
unit, or none. Padding amounts of the SAME schemes are computed here from the frameworks' rules.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symconv.core import oracle
from symconv.core.errors import ParameterError
from symconv.graphs.graph import Graph, Node
from symconv.graphs.ops import Concat, Elementwise, Input, LayerOp, Pad, Slice
from symconv.graphs.parse import parse_graph
from symconv.graphs.receptive import input_regions as graph_regions
from symconv.graphs.receptive import receptive_fields as graph_fields
from symconv.graphs.sizes import oracle_run, run_graph
from symconv.layers import Layer, Stack, parse_stack, receptive_field
from symconv.layers.receptive import input_regions
from symconv.layers.sizes import sizes as stack_sizes
from symconv.core.symbols import i

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- the measurement


def same_padding(scheme: str, n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """The frameworks' SAME rules, written out here: TF/ONNX SAME_UPPER, ONNX SAME_LOWER, PyTorch 'same'."""
    if scheme == "torch-same":
        total = d * (k - 1)
        return total // 2, total - total // 2
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return (total // 2, total - total // 2) if scheme == "tf-same" else (total - total // 2, total // 2)


def layer_matrix(layer: Layer, n: int) -> np.ndarray:
    """A layer's dependence (outputs x inputs, booleans) at input size n, from the oracle's connectivity."""
    k, s, d = layer.kernel_size, layer.stride, layer.dilation
    left, right = layer.padding if layer.scheme is None else same_padding(layer.scheme, n, k, s, d)
    if layer.op == "transposed":
        full = int((s * np.arange(n)[:, None] + d * np.arange(k)[None, :]).max()) + 1
        out = full - left - right + layer.output_padding
        return oracle.connectivity(out, k, s, (left, right), d)[:n].T >= 0
    if layer.op == "upsample":
        return np.arange(n)[None, :] == np.arange(n * k)[:, None] // k
    if layer.op == "pool":
        out = oracle.count_pool_windows(n, k, s, (left, right), d, layer.ceil_mode)
        return oracle.connectivity(n, k, s, (left, right + s), d)[:out] >= 0
    return oracle.connectivity(n, k, s, (left, right), d) >= 0


def jacobian(stack: Stack, n: int) -> np.ndarray:
    joined = np.eye(n, dtype=np.int64)
    for layer in stack.layers:
        matrix = layer_matrix(layer, joined.shape[0])
        joined = ((matrix.astype(np.int64) @ joined) > 0).astype(np.int64)
    return joined.astype(bool)


def spans(matrix: np.ndarray) -> tuple:
    found = []
    for row in matrix:
        inputs = np.flatnonzero(row)
        found.append((int(inputs[0]), int(inputs[-1])) if len(inputs) else None)
    return tuple(found)


def runs(stack: Stack, n: int) -> bool:
    try:
        stack_sizes(stack, n)
    except ParameterError:
        return False
    return True


@st.composite
def layers(draw, schemes: bool = False, upsampling: bool = True):
    op = draw(st.sampled_from(["conv", "pool", "tconv", "upsample"] if upsampling else ["conv", "pool"]))
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    if op == "upsample":
        return Layer("upsample", draw(st.integers(1, 3)))
    if op == "tconv":
        return Layer("tconv", k, s, (draw(st.integers(0, 2)), draw(st.integers(0, 2))), d,
                     draw(st.integers(0, max(s, d) - 1)))
    scheme = draw(st.sampled_from([None, "tf-same", "onnx-same-lower", "torch-same"])) if schemes else None
    if scheme == "torch-same":
        s = 1
    if op == "pool":
        if scheme is not None:
            return Layer("pool", k, s, 0, d, scheme=scheme)
        padding = (draw(st.integers(0, k // 2)), draw(st.integers(0, k // 2)))
        return Layer("pool", k, s, padding, d, ceil_mode=draw(st.booleans()))
    if scheme is not None:
        return Layer("conv", k, s, 0, d, scheme=scheme)
    return Layer("conv", k, s, (draw(st.integers(0, 2)), draw(st.integers(0, 2))), d)


# ---------------------------------------------------------------- stacks: every unit, at every size


def test_units_after_a_cropping_transposed_layer_read_no_input():
    stack = parse_stack("tconv k=2 s=2 p=1; conv k=1 p=1")
    found = input_regions(stack, 10)
    assert found.unread == (0, 19) and len(found.regions) == 20
    assert found.regions == spans(jacobian(stack, 10))
    # Where the unit looks (padding positions counted) is not what it depends on.
    assert receptive_field(stack).region(0) == (0, 0)


@SETTINGS
@given(st.lists(layers(), min_size=1, max_size=5).map(Stack), st.integers(1, 30))
def test_every_region_matches_the_jacobian(stack, n):
    assume(runs(stack, n) and max(stack_sizes(stack, n)) <= 600)
    assert input_regions(stack, n).regions == spans(jacobian(stack, n)), (str(stack), n)


@SETTINGS
@given(st.lists(layers(schemes=True), min_size=1, max_size=5).map(Stack), st.integers(1, 30))
def test_every_region_matches_the_jacobian_with_same_padding(stack, n):
    assume(runs(stack, n) and max(stack_sizes(stack, n)) <= 600)
    assert input_regions(stack, n).regions == spans(jacobian(stack, n)), (str(stack), n)


def test_a_region_beyond_the_tables_budget_is_refused():
    with pytest.raises(ParameterError, match="more than 4096 to tabulate"):
        input_regions(parse_stack("tconv k=2 s=4"), 2000)


# ---------------------------------------------------------------- SAME padding: fixed size and stride


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layers(schemes=True, upsampling=False), min_size=1, max_size=4).map(Stack))
def test_same_padding_keeps_the_field_and_gives_the_padding_as_an_expression(stack):
    field = receptive_field(stack)
    padding = field.padding
    measured_any = False
    for n in range(1, 70):
        if not runs(stack, n):
            continue
        regions = spans(jacobian(stack, n))
        effective = int(padding.subs(i, n)) if hasattr(padding, "subs") else padding
        for unit, region in enumerate(regions):
            first = unit * field.stride - effective
            view = (first, first + field.size - 1)
            assert field.region(unit) == view or (hasattr(field.region(unit)[0], "subs") and tuple(
                int(end.subs(i, n)) for end in field.region(unit)) == view)
            if 0 <= view[0] and view[1] < n:  # a unit that looks only at real input depends on all it sees
                assert region == view, (str(stack), n, unit)
                measured_any = True
            else:
                assert region is None or view[0] <= region[0] <= region[1] <= view[1]
    assume(measured_any)


def test_same_padding_in_the_issue_is_not_three_times_not_fixed():
    field = receptive_field(parse_stack("conv k=3 s=2 scheme=tf-same; pool k=2"))
    assert (field.size, field.stride) == (5, 4)
    assert [field.padding.subs(i, n) for n in (8, 9)] == [0, 1]
    lower = receptive_field(parse_stack("conv k=4 s=2 scheme=onnx-same-lower"))
    assert lower.size == 4 and lower.stride == 2
    assert [lower.padding.subs(i, n) for n in range(1, 40)] == [same_padding("onnx-same-lower", n, 4, 2, 1)[0]
                                                               for n in range(1, 40)]
    with pytest.raises(ParameterError, match="after up-sampling"):
        receptive_field(parse_stack("upsample f=2; conv k=3 s=2 scheme=tf-same"))


# ---------------------------------------------------------------- the same with PyTorch's autograd


def torch_stack(torch, stack: Stack, n: int):
    """The stack as PyTorch modules with all-ones weights (AvgPool for pooling: it depends on every unit
    of its window), or None where PyTorch has no such layer."""
    import torch.nn.functional as F

    steps = []
    for layer in stack.layers:
        k, s, d = layer.kernel_size, layer.stride, layer.dilation
        left, right = layer.padding if layer.scheme is None else same_padding(layer.scheme, n, k, s, d)
        if layer.op == "conv":
            conv = torch.nn.Conv1d(1, 1, k, s, 0, d, bias=False).double()
            torch.nn.init.ones_(conv.weight)
            steps.append(lambda x, conv=conv, left=left, right=right: conv(F.pad(x, (left, right))))
        elif layer.op == "transposed":
            if left != right:
                return None
            tconv = torch.nn.ConvTranspose1d(1, 1, k, s, left, layer.output_padding, dilation=d, bias=False).double()
            torch.nn.init.ones_(tconv.weight)
            steps.append(tconv)
        elif layer.op == "pool":
            if d != 1 or left != right or left > k // 2:
                return None
            steps.append(torch.nn.AvgPool1d(k, s, left, ceil_mode=layer.ceil_mode))
        else:
            steps.append(torch.nn.Upsample(scale_factor=k, mode="nearest"))
        n = int(stack_sizes(Stack((layer,)), n)[0])
    return steps


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layers(schemes=True), min_size=1, max_size=4).map(Stack), st.integers(1, 24))
def test_every_region_matches_torch_autograd(stack, n):
    torch = pytest.importorskip("torch", reason="the autograd measurement needs torch (pip install 'symconv[torch]')")
    assume(runs(stack, n) and max(stack_sizes(stack, n)) <= 300)
    steps = torch_stack(torch, stack, n)
    assume(steps is not None)

    def forward(x):
        y = x.reshape(1, 1, -1)
        for step in steps:
            y = step(y)
        return y.reshape(-1)

    matrix = torch.autograd.functional.jacobian(forward, torch.rand(n, dtype=torch.float64) + 1).numpy() != 0
    assert matrix.shape[0] == stack_sizes(stack, n)[-1]
    assert input_regions(stack, n).regions == spans(matrix), (str(stack), n)


# ---------------------------------------------------------------- graphs


def graph_jacobian(graph: Graph, n: int) -> dict:
    """Per node, its dependence on input x along the one axis, by the oracle's matrices and index maps."""
    found: dict = {}
    for node in graph.nodes:
        if isinstance(node.op, Input):
            found[node.name] = np.eye(n, dtype=bool)
            continue
        parts = [found[name] for name in node.inputs]
        size = parts[0].shape[0]
        if isinstance(node.op, (Concat, Elementwise)):
            units = max(part.shape[0] for part in parts)
            found[node.name] = np.logical_or.reduce([np.repeat(p, units, axis=0) if p.shape[0] == 1 else p
                                                     for p in parts])
            continue
        if isinstance(node.op, LayerOp):
            matrix = layer_matrix(node.op.layer, size)
        elif isinstance(node.op, Pad):
            before, after = node.op.padding[0]
            matrix = (np.arange(size + before + after) - before)[:, None] == np.arange(size)[None, :]
        elif isinstance(node.op, Slice):
            start, stop, step = node.op.ranges[0]
            matrix = np.arange(size)[start:stop:step][:, None] == np.arange(size)[None, :]
        else:
            matrix = np.eye(size, dtype=bool)
        found[node.name] = (matrix.astype(np.int64) @ parts[0].astype(np.int64)) > 0
    return found


@st.composite
def branchy(draw):
    """Two branches of random layers from one input, joined by an add (or a concatenation), or one branch with
    a pad or a slice."""
    nodes = [Node("x", Input(("L",)))]
    ends = []
    for branch in "ab":
        last = "x"
        for n, layer in enumerate(draw(st.lists(layers(schemes=True), min_size=0, max_size=3))):
            name = f"{branch}{n}"
            nodes.append(Node(name, LayerOp(layer), (last,)))
            last = name
        if draw(st.booleans()):
            op = draw(st.sampled_from([Pad(((draw(st.integers(-1, 2)), draw(st.integers(-1, 2))),)),
                                       Slice(((draw(st.sampled_from([None, 1])), draw(st.sampled_from([None, -1])),
                                               draw(st.integers(1, 2))),))]))
            nodes.append(Node(f"{branch}p", op, (last,)))
            last = f"{branch}p"
        ends.append(last)
    nodes.append(Node("j", draw(st.sampled_from([Elementwise("add"), Concat()])), tuple(ends)))
    return Graph(tuple(nodes))


def _runs(graph: Graph, n: int) -> bool:
    """The graph runs on ``n`` (brute force), and no tensor is so large that its Jacobian is slow to build."""
    run = oracle_run(graph, n)
    return run.ok and max(size[0] for size in run.sizes.values()) <= 600


@SETTINGS
@given(branchy(), st.integers(1, 40))
def test_every_region_of_a_graph_matches_the_jacobian(graph, start):
    # The first size from ``start`` on (round again from 1) that the graph runs on. Drawing the size blindly
    # filtered out about 60% of the examples, and on about one Hypothesis seed in 40 the first ones so often that
    # its health check failed the test (filter_too_much): a flake of a fresh clone, with no example database.
    n = next((n for n in (*range(start, 41), *range(1, start)) if _runs(graph, n)), None)
    assume(n is not None and run_graph(graph, n).ok)
    expected = spans(graph_jacobian(graph, n)["j"])
    (found,) = graph_regions(graph, n)
    assert found.regions == expected, (str(graph), n)


def test_graph_regions_name_the_units_that_read_only_padding():
    graph = parse_graph("x = input [H, W]; u = tconv k=2 s=2 p=1; c = conv k=1 p=1")
    found = {entry.axis: entry for entry in graph_regions(graph, {"H": 10, "W": 4})}
    assert found["H"].unread == (0, 19) and found["W"].unread == (0, 7)
    pooled = graph_regions(parse_graph("x = input [L]; a = conv k=3 p=1; g = gpool"), 6)[0]
    assert pooled.regions == ((0, 5),)
    resized = graph_regions(parse_graph("x = input [L]; a = resize size=4"), 6)[0]
    assert resized.regions is None and "resize" in resized.reason
    with pytest.raises(ParameterError, match="the graph fails there"):
        graph_regions(parse_graph("x = input [L]; a = pool k=2; u = upsample f=2; c = cat (x, u)"), 7)


def test_graph_fields_behind_same_padding():
    graph = parse_graph("x = input [H]; a = conv k=3 s=2 scheme=tf-same; b = conv k=3 p=1 (a);"
                        " c = conv k=3 s=2 scheme=tf-same (x); d = add (b, c)")
    (field,) = graph_fields(graph)
    assert field.field.size == 7 and field.field.stride == 2
    for n in range(4, 40):
        regions = spans(graph_jacobian(graph, n)["d"])
        effective = int(field.field.padding.subs({field.field.padding.free_symbols.pop(): n}))
        inside = [u for u in range(len(regions)) if 0 <= u * 2 - effective and u * 2 - effective + 6 < n]
        assert (inside or n < 12) and all(regions[u] == (u * 2 - effective, u * 2 - effective + 6) for u in inside)
    drift = parse_graph("x = input [H]; a = conv k=3 s=2 scheme=tf-same; c = conv k=1 s=2 (x); d = add (a, c)")
    assert "follow the input size differently" in graph_fields(drift)[0].reason
