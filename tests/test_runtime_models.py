"""Issue 11, item 7: test models run in onnxruntime (and PyTorch) at many sizes, against brute force.

Three things are checked for every model of tests/models, at every size of its sweep:

- onnxruntime's shape of every tensor equals the shape a brute-force propagation
  gives (below: plain loops over window positions and scattered taps, written
  here and sharing nothing with symconv's formulas), and where onnxruntime
  refuses, the brute force refuses at the same node;
- the sizes the brute force accepts are the model's rule, worked out by hand in its
  builder's docstring; where onnxruntime runs sizes with no whole window, that is
  one of its documented deviations (docs/conventions.md), modelled by ``ORT``;
- the PyTorch versions run (and refuse) exactly where their ONNX exports do.

Then each finding of docs/conventions.md, "Shape inference in other tools", is
pinned on its smallest reproducer: a tool upgrade that changes one fails here.
"""

from __future__ import annotations

from fractions import Fraction
from math import prod

import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx extra: pip install 'symconv[onnx]'")
pytest.importorskip("onnxruntime", reason="needs onnxruntime (the onnx extra)")

from onnx import numpy_helper  # noqa: E402

from models import reproducers as R  # noqa: E402
from models.nets import NETS  # noqa: E402
from models.ops import OPS  # noqa: E402
from runtime import OrtModel, RuntimeRefusal, evaluate, onnx_inferred, ort_shapes, ort_symbolic  # noqa: E402

# ---------------------------------------------------------------- brute force

STRICT, ORT = "strict", "onnxruntime"
POOLS = {"MaxPool", "AveragePool", "LpPool"}
PASS_THROUGH = {"Relu", "Sigmoid", "Tanh", "LeakyRelu", "Identity", "Dropout", "BatchNormalization", "Clip"}


class Refused(Exception):
    """The brute force found no window, a misaligned join or a negative size at ``node``."""

    def __init__(self, node: str, reason: str) -> None:
        super().__init__(f"{node}: {reason}")
        self.node = node


def window_starts(length: int, before: int, after: int, kernel: int, stride: int, dilation: int,
                  ceil_mode: bool) -> int:
    """Walk the window starts 0, s, 2s, ... over the padded input and count the windows taken.

    Floor mode takes a window while it ends inside the padded input. Ceil mode takes one
    while the window before it left part of the padded input uncovered, but only if it
    starts inside the input or the left padding.
    """
    span = dilation * (kernel - 1) + 1
    padded = before + length + after
    count, start = 0, 0
    while True:
        if ceil_mode:
            if start - stride + span >= padded or start >= before + length:
                return count
        elif start + span > padded:
            return count
        count += 1
        start += stride


def scattered_length(length: int, kernel: int, stride: int, dilation: int) -> int:
    """A transposed conv's uncropped output: input unit j writes taps j*s + t*d; one past the last."""
    return 1 + max(j * stride + t * dilation for j in range(length) for t in range(kernel))


def attributes(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def same_padding(length: int, kernel: int, stride: int, dilation: int, upper: bool) -> tuple[int, int, int]:
    """SAME: as many outputs as there are multiples of the stride below the length; the padding that takes."""
    outputs = len(range(0, length, stride))
    span = dilation * (kernel - 1) + 1
    total = (outputs - 1) * stride + span - length
    small, large = (total // 2, total - total // 2)
    return (small, large, total) if upper else (large, small, total)


def propagate(model, size: tuple[int, ...], mode: str = STRICT) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape at spatial ``size``, node by node; raises Refused.

    ``mode=ORT`` follows onnxruntime where it departs from the windows (each case is in
    docs/conventions.md): a pool with no whole window still gives 1 window when the
    window overshoots the padded input by less than the stride, and an empty tensor
    when by less than twice the stride; SAME with a dilation is refused by Conv; a
    SAME pool whose padding would be negative is refused; a ConvTranspose's
    output_padding must be below the stride; empty tensors pass until a windowed
    layer reads one.
    """
    graph = model.graph
    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    first = graph.input[0]
    channels = first.type.tensor_type.shape.dim[1].dim_value or 1
    shapes: dict[str, tuple[int, ...]] = {first.name: (1, channels, *size)}
    smallest = 0 if mode == ORT else 1  # the smallest size a crop may leave

    for node in graph.node:
        op, name, a = node.op_type, node.name or node.output[0], attributes(node)
        if op == "Constant":
            constants[node.output[0]] = numpy_helper.to_array(a["value"])
            continue
        if op == "Identity" and node.input[0] in constants:  # the exporter's shared weights
            constants[node.output[0]] = constants[node.input[0]]
            shapes[node.output[0]] = constants[node.input[0]].shape
            continue
        x = shapes[node.input[0]]
        spatial = list(x[2:])
        rank = len(spatial)
        if op in ("Conv", "ConvTranspose") or op in POOLS:
            if 0 in spatial:
                raise Refused(name, "empty input")
            kernel = list(a.get("kernel_shape") or constants[node.input[1]].shape[2:])
            strides = list(a.get("strides", [1] * rank))
            dilations = list(a.get("dilations", [1] * rank))
            pads = list(a.get("pads", [0] * 2 * rank))
            auto_pad = a.get("auto_pad", b"NOTSET").decode()
        if op == "Conv" or op in POOLS:
            out = []
            for n in range(rank):
                before, after = pads[n], pads[n + rank]
                if auto_pad.startswith("SAME"):
                    before, after, total = same_padding(spatial[n], kernel[n], strides[n], dilations[n],
                                                        auto_pad == "SAME_UPPER")
                    if mode == ORT and op == "Conv" and dilations[n] > 1:
                        raise Refused(name, "SAME with a dilation")
                    if total < 0:
                        if mode == ORT and op in POOLS:
                            raise Refused(name, "negative SAME padding")
                        before, after = 0, 0
                ceil_mode = bool(a.get("ceil_mode", 0)) and op in POOLS
                count = window_starts(spatial[n], before, after, kernel[n], strides[n], dilations[n], ceil_mode)
                if count == 0 and mode == ORT and op in POOLS:
                    # C++'s truncating division: a window that overshoots by less than the
                    # stride still counts; one more stride gives an empty tensor.
                    overshoot = dilations[n] * (kernel[n] - 1) + 1 - (before + spatial[n] + after)
                    count = 1 - overshoot // strides[n]
                    if count < 0:
                        raise Refused(name, "no window")
                elif count == 0:
                    raise Refused(name, "no window")
                out.append(count)
            c = constants[node.input[1]].shape[0] if op == "Conv" else x[1]
            shapes[node.output[0]] = (x[0], c, *out)
        elif op == "ConvTranspose":
            weight = constants[node.input[1]]
            output_padding = list(a.get("output_padding", [0] * rank))
            out = []
            for n in range(rank):
                if mode == ORT and output_padding[n] >= strides[n]:
                    raise Refused(name, "output_padding not below the stride")
                full = scattered_length(spatial[n], kernel[n], strides[n], dilations[n]) + output_padding[n]
                if "output_shape" in a:
                    wanted = a["output_shape"][n]
                    if full + strides[n] - 1 < wanted:
                        raise Refused(name, "output_shape too large")
                    out.append(wanted)
                    continue
                length = full - pads[n] - pads[n + rank]
                if length < 1:
                    raise Refused(name, "cropped to nothing")
                out.append(length)
            shapes[node.output[0]] = (x[0], weight.shape[1] * a.get("group", 1), *out)
        elif op == "Pad":
            every = [int(v) for v in constants[node.input[1]]]
            half = len(every) // 2
            out = [x[n] + every[n] + every[n + half] for n in range(len(x))]
            if min(out) < smallest:
                raise Refused(name, "negative size")
            shapes[node.output[0]] = tuple(out)
        elif op == "Slice":
            starts, ends = constants[node.input[1]], constants[node.input[2]]
            axes = constants[node.input[3]] if len(node.input) > 3 else range(len(starts))
            steps = constants[node.input[4]] if len(node.input) > 4 else [1] * len(starts)
            out = list(x)
            for start, end, axis, step in zip(starts, ends, axes, steps):
                out[int(axis)] = len(range(x[int(axis)])[int(start):int(end):int(step)])
            if min(out) < smallest:
                raise Refused(name, "empty slice")
            shapes[node.output[0]] = tuple(out)
        elif op in ("Resize", "Upsample"):
            scales = constants[node.input[2] if op == "Resize" else node.input[1]]
            shapes[node.output[0]] = tuple(int(Fraction(float(f)) * n // 1) for n, f in zip(x, scales))
        elif op in ("Concat", "Add", "Sub", "Mul", "Div"):
            inputs = [shapes[i] for i in node.input]
            if op == "Concat":
                axis = a["axis"] % len(x)
                if any(s[:axis] + s[axis + 1:] != x[:axis] + x[axis + 1:] for s in inputs):
                    raise Refused(name, f"sizes differ: {inputs}")
                shapes[node.output[0]] = (*x[:axis], sum(s[axis] for s in inputs), *x[axis + 1:])
            else:
                out = []
                for dims in zip(*inputs):
                    big = set(dims) - {1}
                    if len(big) > 1:
                        raise Refused(name, f"can't broadcast {inputs}")
                    out.append(big.pop() if big else 1)
                shapes[node.output[0]] = tuple(out)
        elif op in ("GlobalAveragePool", "GlobalMaxPool"):
            shapes[node.output[0]] = (*x[:2], *[1] * rank)
        elif op == "Flatten":
            axis = a.get("axis", 1)
            shapes[node.output[0]] = (prod(x[:axis]), prod(x[axis:]))
        elif op == "Reshape":
            wanted = [int(v) for v in constants[node.input[1]]]
            wanted = [x[n] if v == 0 else v for n, v in enumerate(wanted)]
            if -1 in wanted:
                known = prod(v for v in wanted if v != -1)
                wanted[wanted.index(-1)] = prod(x) // known
            if prod(wanted) != prod(x):
                raise Refused(name, "reshape to another count")
            shapes[node.output[0]] = tuple(wanted)
        elif op == "Gemm":
            weight = constants[node.input[1]]
            inner, width = weight.shape[::-1] if a.get("transB", 0) else weight.shape
            if x[1] != inner:
                raise Refused(name, f"{x[1]} features, the weight takes {inner}")
            shapes[node.output[0]] = (x[0], width)
        elif op in PASS_THROUGH:
            shapes[node.output[0]] = x
        else:
            raise NotImplementedError(f"the brute force has no rule for {op}")
    return shapes


def accepted(model, size: tuple[int, ...], mode: str = STRICT) -> bool:
    try:
        shapes = propagate(model, size, mode)
    except Refused:
        return False
    return all(min(shape) > 0 for shape in shapes.values())


def runs(result) -> bool:
    """The runtime returned, and no tensor came out empty."""
    return not isinstance(result, RuntimeRefusal) and all(min(shape) > 0 for shape in result.values())


# ---------------------------------------------------------------- the models against onnxruntime

BUILDERS = {**NETS, **OPS}


def sweep(info) -> list[tuple[int, ...]]:
    """Each axis over the sweep with the others at the example, and every axis at once."""
    sizes = {tuple(n if axis == moving else fixed for axis, fixed in enumerate(info.example))
             for moving in range(len(info.axes)) for n in info.sweep}
    return sorted(sizes | {(n,) * len(info.axes) for n in info.sweep})


@pytest.fixture(scope="module")
def ort_runs():
    """name -> (model, info, {size: onnxruntime's shapes or refusal}), each built and run once."""
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            model, info = BUILDERS[name]()
            runtime = OrtModel(model)
            cache[name] = model, info, {size: runtime.shapes(size) for size in sweep(info)}
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_spatial_axes_are_symbolic_and_files_small(name):
    model, info = BUILDERS[name]()
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert tuple(d.dim_param for d in dims[2:]) == info.axes
    assert dims[1].dim_value == info.channels
    assert len(model.SerializeToString()) < 150_000


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_onnxruntime_shapes_equal_brute_force(name, ort_runs):
    model, info, results = ort_runs(name)
    for size, got in results.items():
        try:
            expected = propagate(model, size, ORT)
        except Refused as refusal:
            assert isinstance(got, RuntimeRefusal), (size, refusal)
            assert got.node == refusal.node, (size, got.message, refusal)
            continue
        assert got == expected, size


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_accepted_sizes_are_the_rule_worked_out_by_hand(name, ort_runs):
    model, info, results = ort_runs(name)
    for size, got in results.items():
        assert accepted(model, size) == info.accepts(size), (size, info.rule)
        assert runs(got) == info.runtime_accepts(size), (size, info.ort_rule or info.rule)


def test_onnxruntime_runs_vgg_below_its_windows(ort_runs):
    """VGG's five 2x2 pools need n >= 32; onnxruntime's pool runs 1-long inputs (1 out), so every n runs."""
    model, info, results = ort_runs("vgg")
    assert results[(16, 16)]["pool5"] == (1, 16, 1, 1)  # pool5 reads 1x1: no window fits
    assert not accepted(model, (16, 16)) and runs(results[(16, 16)])


def test_the_unet_refuses_where_frameworks_say(ort_runs):
    """The first misaligned Concat is named, in onnxruntime's words; brute force names the same node."""
    model, info, results = ort_runs("unet")
    refusal = results[(88, 88)]  # 88 -> 44 -> 22 -> 11 -> 5: up4 gives 10 against 11
    assert refusal.node == "cat4"
    assert "Concat" in refusal.message
    with pytest.raises(Refused) as brute:
        propagate(model, (88, 88))
    assert brute.value.node == "cat4"
    assert results[(96, 96)]["cat1"] == (1, 2, 96, 96)


# ---------------------------------------------------------------- PyTorch and its ONNX export

TORCH_SIZES = tuple(range(1, 41)) + (63, 64, 65, 96, 127, 128, 130)


def exported_modules(model, calls) -> dict[str, str]:
    """fx target -> the exported tensor of that submodule, for submodules called once.

    The exporter scopes a node by the modules it is in, each by its qualified name
    ("/down.0/down.0.0/Conv") or its attribute name ("/layer1/layer1.0/conv1/Conv").
    """
    found = {}
    for node in model.graph.node:
        qualified = ""
        for part in node.name.split("/")[1:-1]:
            qualified = part if not qualified or part.startswith(qualified + ".") else f"{qualified}.{part}"
        if calls.get(qualified) == 1:
            found[qualified] = node.output[0]
    return found


@pytest.mark.parametrize("name", ["unet", "resnet50", "mixed"])
def test_torch_and_its_onnx_export_agree(name):
    pytest.importorskip("torch", reason="needs the torch extra: pip install 'symconv[torch]'")
    from models.torch_nets import TORCH_NETS
    from runtime import TorchModel, export_onnx

    module, info = TORCH_NETS[name]()
    model = export_onnx(module, (1, info.channels, *info.example))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param for d in dims[2:]] == ["H", "W"]
    traced, runtime = TorchModel(module), OrtModel(model)
    mapping = exported_modules(model, traced.calls)
    assert len(mapping) >= 5
    sizes = [(n, n) for n in ((1, 2, 3, 5, 16, 17, 33, 64, 97) if name == "resnet50" else TORCH_SIZES)]
    for size in sizes:
        eager, got = traced.shapes((1, info.channels, *size)), runtime.shapes(size)
        assert runs(eager) == runs(got) == info.accepts(size) == accepted(model, size), size
        if runs(got):
            assert got == propagate(model, size)
            assert got["y"] == eager["output"]
            assert all(got[tensor] == eager[target] for target, tensor in mapping.items()), size


def test_torch_shapes_by_hooks_and_by_fx_agree():
    pytest.importorskip("torch", reason="needs the torch extra")
    from models.torch_nets import TORCH_NETS
    from runtime import torch_shapes

    module, info = TORCH_NETS["mixed"]()
    by_fx, by_hooks = torch_shapes(module, (1, 1, 10, 10)), torch_shapes(module, (1, 1, 10, 10), "hooks")
    assert by_fx["output"] == by_hooks["output"] == (1, 1, 10, 10)
    assert by_fx["up1"] == by_hooks["up1"] == (1, 2, 5, 5)
    refused = torch_shapes(module, (1, 1, 8, 8))
    assert refused.node == "cat" and "Sizes of tensors must match" in refused.message


# ---------------------------------------------------------------- other tools, pinned
# Each test below asserts what a tool does today (onnx 1.23.2, onnxruntime 1.32.0,
# torch 2.13.0) on the smallest model that shows it, beside what the runtime does. When
# one fails after an upgrade, the tool changed: update docs/conventions.md, section
# "Shape inference in other tools", and the test.

def length(model, n):
    """onnxruntime's output length at L = n, or its refusal."""
    result = ort_shapes(model, (n,))
    return result if isinstance(result, RuntimeRefusal) else result[model.graph.output[0].name][-1]


def last(result, model):
    """The last dim a tool gives for the graph's output, or its refusal."""
    return result if isinstance(result, RuntimeRefusal) else result[model.graph.output[0].name][-1]


def test_onnx_names_every_symbolic_conv_output_afresh():
    model = R.conv_k1()
    assert last(onnx_inferred(model), model) == "unk__0"  # it is L
    assert [length(model, n) for n in (1, 2, 3)] == [1, 2, 3]


@pytest.mark.parametrize("build, says", [(R.conv_too_small, -1), (R.conv_truncated, 1)])
def test_onnx_sizes_an_input_smaller_than_the_window(build, says):
    model = build()
    assert last(onnx_inferred(model, strict_mode=True), model) == says
    assert "Invalid input shape" in length(model, 1).message
    assert not accepted(model, (1,), ORT)


def test_onnx_forgets_the_ceil_mode_window_that_starts_in_the_padding_before_opset_22():
    for opset in (17, 21):
        model = R.ceil_pool(opset)
        assert last(onnx_inferred(model), model) == 3
        assert length(model, 3) == 2
    model = R.ceil_pool(22)
    assert last(onnx_inferred(model), model) == 2 == length(model, 3)
    assert propagate(model, (3,))["pool1"][-1] == 2


def test_ort_symbolic_gives_transposed_convs_an_opaque_name():
    model = R.tconv()
    dims = ort_symbolic(model)[model.graph.output[0].name]
    assert dims == ("ConvTranspose_0_o0__d0", "ConvTranspose_0_o0__d1", "ConvTranspose_0_o0__d2")
    assert evaluate(dims[2], {"L": 3}) is None
    assert [length(model, n) for n in (1, 2, 3)] == [2, 4, 6]


@pytest.mark.parametrize("build", [R.lppool, R.upsample])
def test_ort_symbolic_gives_other_ops_opaque_names(build):
    model = build()
    dims = ort_symbolic(model)[model.graph.output[0].name]
    assert all(isinstance(d, str) and evaluate(d, {"L": 3}) is None for d in dims)


def test_ort_symbolic_gives_flatten_of_a_symbolic_map_an_opaque_name():
    model, info = OPS["flatten_gemm"]()
    assert ort_symbolic(model)["flatten1"] == ("Flatten_1_o0__d0", "Flatten_1_o0__d1")
    assert ort_shapes(model, (7, 8))["flatten1"] == (1, 32)


def test_ort_symbolic_floors_same_padding():
    model = R.same_conv()
    assert last(ort_symbolic(model), model) == "floor(L/2)"
    assert [length(model, n) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]  # ceil(L/2)


def test_ort_symbolic_lines_up_a_join_that_the_runtime_refuses():
    model = R.same_add_pool()
    assert last(ort_symbolic(model), model) == "floor(L/2)"
    for n in (5, 7, 9):
        refusal = length(model, n)
        assert refusal.node == "add1" and "broadcast" in refusal.message
    assert length(model, 4) == 2 and length(model, 3) == 2  # at 3, the pool's 1 broadcasts


def test_ort_symbolic_stops_on_a_join_that_lines_up_and_merges_it_wrongly():
    model = R.same_add_conv()
    assert ort_symbolic(model) == RuntimeRefusal("Incomplete symbolic shape inference")
    merged = ort_symbolic(model, auto_merge=True)
    assert last(merged, model) == "floor(L/2)"
    assert [length(model, n) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]


def test_ort_symbolic_leaves_files_when_it_stops(tmp_path, monkeypatch):
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    monkeypatch.chdir(tmp_path)
    with pytest.raises(Exception, match="Incomplete symbolic shape inference"):
        SymbolicShapeInference.infer_shapes(R.same_add_conv())
    assert [path.name for path in tmp_path.iterdir()] == ["sym_shape_infer_temp.onnx"]
    model, info = NETS["unet"]()  # with weights over 1 kB, a <uuid>.data beside it
    with pytest.raises(Exception, match="Incomplete symbolic shape inference"):
        SymbolicShapeInference.infer_shapes(model)
    assert len(list(tmp_path.glob("*.data"))) == 1


def test_ort_symbolic_forgets_the_ceil_mode_window_that_starts_in_the_padding():
    for opset in (17, 22):
        model = R.ceil_pool(opset, fixed=None)
        assert last(ort_symbolic(model), model) == "ceiling(L/2) + 1"
        assert [length(model, n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]  # L // 2 + 1
    model = R.ceil_add()
    assert last(ort_symbolic(model, auto_merge=True), model) == "ceiling(L/2) + 1"
    assert [runs(ort_shapes(model, (n,))) for n in (2, 3, 4, 5)] == [True, False, True, False]


def test_ort_symbolic_slices_without_clamping():
    model = R.slice_from_end()
    assert last(ort_symbolic(model), model) == 3
    assert [length(model, n) for n in (1, 2, 3, 4)] == [1, 2, 3, 3]
    model = R.slice_backwards()  # fixed L = 3; onnx gets this one right
    assert last(ort_symbolic(model), model) == 2
    assert last(onnx_inferred(model), model) == 1 == length(model, 3)


def test_ort_symbolic_on_the_networks():
    """Right on every tensor of VGG and ResNet-50; stops on the U-Net, and with auto_merge names its joins opaquely."""
    for build in (NETS["vgg"], NETS["resnet50"]):
        model, info = build()
        symbolic = ort_symbolic(model)
        for size in ((32, 32), (97, 64)):
            shapes = ort_shapes(model, size)
            for tensor, dims in symbolic.items():
                assert tuple(evaluate(d, dict(zip(info.axes, size))) for d in dims) == shapes[tensor]
    model, info = NETS["unet"]()
    assert ort_symbolic(model) == RuntimeRefusal("Incomplete symbolic shape inference")
    merged = ort_symbolic(model, auto_merge=True)
    size = {"H": 32, "W": 32}
    assert all(evaluate(merged[f"cat{level}"][1], size) is None for level in (1, 2, 3, 4))  # channels
    assert all(evaluate(d, size) is None for level in (2, 3, 4) for d in merged[f"cat{level}"][2:])
    assert merged["cat1"][2:] == ("H", "W")
    # the merge renames even the encoder's pooled floor(H/2) after a ConvTranspose
    assert all(evaluate(d, size) is None for d in merged["down1"][2:])
    opaque = [t for t, dims in merged.items() if any(evaluate(d, size) is None for d in dims)]
    assert len(opaque) == 40 and len(merged) == 49


def test_onnx_names_the_networks_tensors_afresh():
    model, info = NETS["resnet50"]()
    inferred = onnx_inferred(model)
    convs = [node.output[0] for node in model.graph.node if node.op_type == "Conv"]
    assert all(str(inferred[c][2]).startswith("unk__") for c in convs)


# ---------------------------------------------------------------- onnxruntime's own kernels


def test_ort_pools_a_window_that_does_not_fit():
    model = R.pool_truncated()
    assert length(model, 1) == 1
    assert not accepted(model, (1,)) and accepted(model, (1,), ORT)
    torch = pytest.importorskip("torch", reason="the PyTorch side needs torch")
    with pytest.raises(RuntimeError, match="output size"):
        torch.nn.MaxPool1d(2)(torch.zeros(1, 1, 1))


def test_ort_refuses_same_with_a_dilation():
    model = R.same_dilated()
    for n in (1, 3, 8):
        assert "Dilation not supported for AutoPadType::SAME_UPPER" in length(model, n).message


def test_ort_refuses_a_same_pool_with_negative_padding_but_not_the_conv():
    model = R.same_pool_negative()
    assert "padding values must be non-negative" in length(model, 2).message
    assert last(onnx_inferred(model), model) == 1
    net = R._net("same_conv_negative", fixed=2)
    conv = net.model(net.conv(net.input, 1, 1, stride=2, auto_pad="SAME_UPPER"))
    assert length(conv, 2) == 1


def test_ort_refuses_output_padding_at_or_above_the_stride():
    model = R.tconv_dilated_output_padding()
    assert "output_padding (1) may be too large for stride (1)" in length(model, 3).message
    torch = pytest.importorskip("torch", reason="the PyTorch side needs torch")
    layer = torch.nn.ConvTranspose1d(1, 1, 1, stride=1, dilation=2, output_padding=1)
    assert layer(torch.zeros(1, 1, 3)).shape[-1] == 4


# ---------------------------------------------------------------- torch.export


def _dim():
    """torch.export's Dim, or a skip without torch."""
    pytest.importorskip("torch", reason="needs the torch extra: pip install 'symconv[torch]'")
    from torch.export import Dim

    return Dim


def _export(name, dims):
    from runtime import export_report

    module, shape = R.torch_reproducers()[name]
    return module, export_report(module, shape, dims)


def _eager_runs(module, shape):
    from runtime import torch_shapes

    return runs(torch_shapes(module, shape, "hooks"))


def test_torch_export_specialises_maxpool1d():
    Dim = _dim()
    module, report = _export("maxpool1d", {2: Dim("L")})
    assert report.fixes == ("L = 8",)
    module, report = _export("maxpool1d", {2: Dim.AUTO})
    assert [n for n in range(2, 12) if report.accepts((1, 1, n))] == [8]
    assert all(_eager_runs(module, (1, 1, n)) for n in range(2, 12))


def test_torch_export_refuses_maxpool2d_without_a_fix():
    Dim = _dim()
    module, report = _export("maxpool2d", {2: Dim("H"), 3: Dim("W")})
    assert report.fixes == ()
    assert "satisfy the generated guard (L['input'].size()[2] // 2) != 1." in " ".join(report.guards)
    assert _eager_runs(module, (1, 1, 2, 2)) and _eager_runs(module, (1, 1, 3, 3))


def test_torch_export_raises_the_minimum_to_avoid_a_size_1_output():
    Dim = _dim()
    module, report = _export("conv1d", {2: Dim("L")})
    assert report.fixes == ("L = Dim('L', min=4)",)
    assert _eager_runs(module, (1, 1, 3))  # output 1


@pytest.mark.parametrize("name", ["ceil_pool", "add_pool_conv"])
def test_torch_export_asks_for_even_sizes_where_every_size_works(name):
    Dim = _dim()
    module, report = _export(name, {2: Dim("H"), 3: Dim("W")})
    assert "H = 2*_H" in report.fixes
    assert all(_eager_runs(module, (1, 1, n, n)) for n in range(1, 12))
    if name == "ceil_pool":
        module, report = _export(name, {2: Dim.AUTO, 3: Dim.AUTO})
        assert [n for n in range(1, 12) if report.accepts((1, 1, n, n))] == [2, 4, 6, 8, 10]


def test_torch_export_fixes_allow_a_size_its_program_refuses():
    Dim = _dim()
    module, report = _export("skip", {2: Dim("H"), 3: Dim("W")})
    assert {"_H = Dim('_H', min=1, max=oo)", "H = 2*_H"} <= set(report.fixes)
    half = Dim("_H", min=1)
    module, report = _export("skip", {2: 2 * half, 3: 2 * Dim("_W", min=1)})
    assert _eager_runs(module, (1, 1, 2, 2)) and not report.accepts((1, 1, 2, 2))
    assert report.accepts((1, 1, 4, 4)) and not report.accepts((1, 1, 5, 5))


def test_torch_export_needs_an_example_that_already_works():
    Dim = _dim()
    module, report = _export("skip_odd", {2: Dim("H"), 3: Dim("W")})
    assert report.error.startswith("RuntimeError: Sizes of tensors must match") and report.fixes == ()


def test_torch_export_on_the_mixed_net_and_the_unet():
    """The fixes are right but for the smallest size; the programs refuse it (a 1x1 inner map)."""
    Dim = _dim()
    from models.torch_nets import TORCH_NETS
    from runtime import export_report

    module, info = TORCH_NETS["mixed"]()
    report = export_report(module, (1, 1, 6, 6), {2: Dim("H"), 3: Dim("W")})
    assert {"_H = Dim('_H', min=1, max=oo)", "H = 4*_H - 2"} <= set(report.fixes)
    report = export_report(module, (1, 1, 6, 6), {2: Dim.AUTO, 3: Dim.AUTO})
    assert not report.accepts((1, 1, 2, 2)) and _eager_runs(module, (1, 1, 2, 2))
    assert report.accepts((1, 1, 10, 10))
    module, info = TORCH_NETS["unet"]()
    report = export_report(module, (1, 1, 32, 32), {2: Dim.AUTO, 3: Dim.AUTO})
    assert report.ranges == ("s0: VR[16, int_oo]", "s53: VR[16, int_oo]")
    assert not report.accepts((1, 1, 16, 16)) and _eager_runs(module, (1, 1, 16, 16))
    assert report.accepts((1, 1, 48, 48))
