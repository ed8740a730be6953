"""Issue 11, item 2: the ONNX importer, against onnxruntime on every test model.

For every model of tests/models (the nets, the one-op models, the PyTorch exports
when torch is present) and for the one-op-attribute models built here, at every
size of a sweep:

- where onnxruntime runs, symconv's run succeeds and every tensor it maps has
  onnxruntime's spatial shape; its symbolic sizes, evaluated there, agree;
- where onnxruntime refuses (or gives an empty tensor), symconv's run fails,
  and the size is outside symconv's valid set;
- except the departures of onnxruntime documented in docs/conventions.md, named
  in ``DEPARTURES``: there symconv follows the strict windows (the model's
  hand-worked ``accepts``) and the node it names is of the documented kind.
"""

from __future__ import annotations

import subprocess
import sys
import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx extra: pip install 'symconv[onnx]'")
pytest.importorskip("onnxruntime", reason="needs onnxruntime (the onnx extra)")

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from models.build import Net  # noqa: E402
from models.nets import NETS  # noqa: E402
from models.ops import OPS  # noqa: E402
from runtime import OrtModel, RuntimeRefusal  # noqa: E402
from symconv.core.errors import ParameterError  # noqa: E402
from symconv.graphs.decide import valid_sizes  # noqa: E402
from symconv.graphs.joint import joint_sizes  # noqa: E402
from symconv.graphs.sizes import axis_symbol, run_graph, tensor_sizes  # noqa: E402
from symconv.importers import import_graph  # noqa: E402
from symconv.importers.from_onnx import from_onnx, import_onnx  # noqa: E402

BUILDERS = {**NETS, **OPS}
EXTRA = (224, 255, 256, 300)

#: onnxruntime's documented departures (docs/conventions.md, "onnxruntime's kernels"): model -> the op types
#: where symconv refuses a size that onnxruntime runs, because onnxruntime's pools divide with truncation.
DEPARTURES = {"vgg": {"MaxPool"}, "resize": {"MaxPool"}}


def sweep(info, extra=EXTRA) -> list[tuple[int, ...]]:
    """Each axis over the model's sweep (and a few large sizes) with the others at the example, every axis at
    once, and some non-square sizes."""
    values = tuple(info.sweep) + tuple(extra)
    sizes = {tuple(n if axis == moving else fixed for axis, fixed in enumerate(info.example))
             for moving in range(len(info.axes)) for n in values}
    sizes |= {(n,) * len(info.axes) for n in values}
    sizes |= {tuple(n + 3 * axis for axis in range(len(info.axes))) for n in info.sweep[::7]}
    return sorted(sizes)


def ort_runs(result) -> bool:
    return not isinstance(result, RuntimeRefusal) and all(min(shape, default=1) > 0 for shape in result.values())


def compare(model, sizes, departures=frozenset(), accepts=None) -> dict:
    """Check symconv against onnxruntime at every size; return counts of what was seen."""
    imported = import_onnx(model)
    graph = imported.graph
    runtime = OrtModel(model)
    valid = valid_sizes(graph)
    joint = joint_sizes(graph, valid)
    exprs = tensor_sizes(graph)
    symbols = {axis: axis_symbol(axis) for axis in graph.axes}
    seen = {"runs": 0, "refused": 0, "departures": 0}
    for size in sizes:
        got = runtime.shapes(size)
        run = run_graph(graph, size)
        in_sets = all(n in valid[axis].answer for axis, n in zip(graph.axes, size))
        if joint is not None:  # a flat size (channels times every spatial size) ties the axes together
            in_sets = in_sets and dict(zip(graph.axes, size)) in joint
        assert in_sets == run.ok, (size, run.failure)
        if ort_runs(got) != run.ok:
            # Only onnxruntime's documented departures: symconv keeps the strict windows.
            assert ort_runs(got) and not run.ok, (size, got, run.failure)
            assert run.failure.op in departures, (size, run.failure.message)
            assert "no kernel position fits" in run.failure.message  # a truncating pool's one window
            assert accepts is None or not accepts(size), size
            seen["departures"] += 1
            continue
        if not run.ok:
            seen["refused"] += 1
            continue
        seen["runs"] += 1
        values = {symbols[axis]: n for axis, n in zip(graph.axes, size)}
        for tensor, node in imported.tensors.items():
            if tensor not in got:
                continue
            ours = run.sizes[node]
            if ours:  # spatial: onnxruntime's NCHW shape after batch and channels
                assert got[tensor][2:] == ours, (size, tensor, node, got[tensor], ours)
                assert tuple(int(e.xreplace(values)) for e in exprs[node]) == ours, (size, node)
    return seen


# ---------------------------------------------------------------- every test model against onnxruntime


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_test_models_against_onnxruntime(name):
    model, info = BUILDERS[name]()
    seen = compare(model, sweep(info), DEPARTURES.get(name, frozenset()), info.accepts)
    assert seen["runs"] > 0
    if info.ort_accepts is not None and name in DEPARTURES:
        assert seen["departures"] > 0  # the departure is real on this sweep, and went the documented way


@pytest.mark.parametrize("name", ["unet", "resnet50", "mixed"])
def test_exported_torch_nets_against_onnxruntime(name):
    pytest.importorskip("torch", reason="needs the torch extra: pip install 'symconv[torch]'")
    from models.torch_nets import exported

    model, info = exported(name)
    sizes = sweep(info, ()) if name != "resnet50" else [(n, n) for n in (1, 2, 3, 5, 16, 17, 33, 64, 97)]
    seen = compare(model, sizes)
    assert seen["runs"] > 0
    names = {node.name for node in from_onnx(model).nodes}
    assert "layer1_0_conv1" in names if name == "resnet50" else "up1" in names or "up_0" in names


def test_the_unet_fails_in_onnx_words():
    model, info = NETS["unet"]()
    run = run_graph(from_onnx(model), (88, 88))
    assert run.failure.message == "Concat 'cat4': 11 vs 10 along H"
    assert OrtModel(model).shapes((88, 88)).node == "cat4"


def test_the_exported_unet_names_nodes_readably():
    pytest.importorskip("torch", reason="needs the torch extra")
    from models.torch_nets import exported

    model, _ = exported("unet")
    graph = from_onnx(model)
    run = run_graph(graph, (88, 88))
    failing = graph.node(run.failure.node)
    assert failing.label == "/Concat" and failing.op_type == "Concat"
    assert run.failure.message == "Concat '/Concat': 11 vs 10 along H"
    assert all(node.name.isidentifier() for node in graph.nodes)


def test_dim_params_name_the_axes_and_fixed_files_stay_symbolic():
    net = Net("named", 1, axes=("height", "width"))
    model = net.model(net.conv(net.input, 1, 3))
    assert from_onnx(model).axes == ("height", "width")
    net = Net("fixed", 1, fixed=(32, 32))
    model = net.model(net.pool(net.input, 2))
    graph = from_onnx(model)
    assert graph.axes == ("H", "W")
    assert str(tensor_sizes(graph)["pool1"][0]) == "floor(H/2)"
    fixed = from_onnx(model, input_size=(9, 8))
    assert fixed.axes == () and tensor_sizes(fixed)["pool1"] == (4, 4)


def test_several_inputs_have_their_own_axes():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, None, None])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 1, None, None])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node("MaxPool", ["x"], ["p"], name="p", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Relu", ["z"], ["y"], name="r")]
    model = helper.make_model(helper.make_graph(nodes, "two", [x, z], [y]))
    graph = from_onnx(model)
    assert graph.axes == ("H", "W", "H2", "W2")


# ---------------------------------------------------------------- one op, one attribute, against onnxruntime

INT64_MAX = 2**63 - 1


def _model(name, nodes, initializers=(), axes=("H", "W"), channels=1, opset=17, output="y"):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels, *axes])
    y = helper.make_tensor_value_info(output, TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, name, [x], [y], [numpy_helper.from_array(np.asarray(v), k)
                                                      for k, v in initializers])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset < 21 else 10
    return model


def _w(shape):
    return np.zeros(shape, np.float32)


def _i64(values):
    return np.array(values, np.int64)


def _node(op, inputs, out, **attributes):
    return helper.make_node(op, inputs, [out], name=f"/{out}/{op}", **attributes)


CASES = {
    "conv_same_upper_dilated": lambda: _model("c", [_node("Conv", ["x", "w"], "y", kernel_shape=[3, 3],
                                                           strides=[2, 1], auto_pad="SAME_UPPER")],
                                              [("w", _w([1, 1, 3, 3]))]),
    "conv_valid_kernel_from_weight": lambda: _model("c", [_node("Conv", ["x", "w"], "y", strides=[3, 2],
                                                                 auto_pad="VALID")], [("w", _w([2, 1, 4, 2]))]),
    "conv_asymmetric_pads": lambda: _model("c", [_node("Conv", ["x", "w"], "y", kernel_shape=[3, 3],
                                                        pads=[0, 2, 1, 0], strides=[2, 2])],
                                           [("w", _w([1, 1, 3, 3]))]),
    "tconv_same_upper": lambda: _model("t", [_node("ConvTranspose", ["x", "w"], "y", strides=[2, 3],
                                                    auto_pad="SAME_UPPER")], [("w", _w([1, 1, 3, 4]))]),
    "tconv_same_lower_op": lambda: _model("t", [_node("ConvTranspose", ["x", "w"], "y", strides=[2, 2],
                                                       output_padding=[1, 0], auto_pad="SAME_LOWER")],
                                          [("w", _w([1, 1, 3, 3]))]),
    "tconv_dilated_pads": lambda: _model("t", [_node("ConvTranspose", ["x", "w"], "y", strides=[2, 1],
                                                      dilations=[2, 1], pads=[3, 0, 2, 1], output_padding=[1, 0])],
                                         [("w", _w([1, 1, 3, 3]))]),
    "tconv_output_shape_lower": lambda: _model("t", [_node("ConvTranspose", ["x", "w"], "y", strides=[3, 2],
                                                            output_shape=[11, 7], auto_pad="SAME_LOWER")],
                                               [("w", _w([1, 1, 2, 3]))]),
    "maxpool_same_lower_ceil": lambda: _model("p", [_node("MaxPool", ["x"], "y", kernel_shape=[3, 2],
                                                           strides=[2, 2], auto_pad="SAME_LOWER", ceil_mode=1)]),
    "avgpool_valid_ceil": lambda: _model("p", [_node("AveragePool", ["x"], "y", kernel_shape=[3, 3],
                                                      strides=[2, 2], auto_pad="VALID", ceil_mode=1)]),
    "maxpool_ceil_dilated": lambda: _model("p", [_node("MaxPool", ["x"], "y", kernel_shape=[2, 2], strides=[3, 3],
                                                        pads=[1, 0, 1, 1], dilations=[2, 1], ceil_mode=1,
                                                        storage_order=1)]),
    "lppool_pads": lambda: _model("p", [_node("LpPool", ["x"], "y", kernel_shape=[3, 2], strides=[2, 1],
                                               pads=[1, 1, 1, 0])]),
    "global_max_then_add": lambda: _model("g", [_node("GlobalMaxPool", ["x"], "g"),
                                                 _node("Add", ["x", "g"], "y")]),
    "pad_opset10_attribute": lambda: _model("p", [_node("Pad", ["x"], "p", pads=[0, 0, 2, -1, 0, 0, -3, 1]),
                                                   _node("Conv", ["p", "w"], "y", kernel_shape=[2, 2])],
                                            [("w", _w([1, 1, 2, 2]))], opset=10),
    "pad_opset18_axes": lambda: _model("p", [_node("Pad", ["x", "pads", "", "axes"], "p", mode="edge"),
                                              _node("Conv", ["p", "w"], "y", kernel_shape=[3, 3])],
                                       [("pads", _i64([1, -2])), ("axes", _i64([-1])), ("w", _w([1, 1, 3, 3]))],
                                       opset=18),
    "resize_sizes": lambda: _model("r", [_node("Resize", ["x", "", "", "sizes"], "r"),
                                          _node("Add", ["r", "x"], "y")], [("sizes", _i64([1, 1, 6, 5]))]),
    "resize_scales_axes": lambda: _model("r", [_node("Resize", ["x", "", "scales"], "y", axes=[3])],
                                         [("scales", np.array([3], np.float32))], opset=18),
    "upsample_opset7": lambda: _model("u", [_node("Upsample", ["x"], "y", scales=[1.0, 1.0, 2.0, 1.0])], opset=7),
    "slice_opset9_attributes": lambda: _model("s", [_node("Slice", ["x"], "s", starts=[2, -4], ends=[-1, 2**62],
                                                           axes=[2, 3]), _node("Conv", ["s", "w"], "y",
                                                                               kernel_shape=[1, 1])],
                                              [("w", _w([1, 1, 1, 1]))], opset=9),
    "slice_steps_channels": lambda: _model("s", [_node("Slice", ["x", "st", "en", "ax", "sp"], "s"),
                                                  _node("Conv", ["s", "w"], "y", kernel_shape=[2, 1])],
                                           [("st", _i64([0, 1, 0])), ("en", _i64([1, INT64_MAX, 7])),
                                            ("ax", _i64([1, 2, 3])), ("sp", _i64([1, 3, 2])),
                                            ("w", _w([1, 1, 2, 1]))]),
    "concat_spatial_axis": lambda: _model("c", [_node("MaxPool", ["x"], "p", kernel_shape=[2, 2], strides=[2, 2]),
                                                 _node("Concat", ["p", "p"], "c", axis=-1),
                                                 _node("Sub", ["c", "x"], "y")]),
    "where_and_mean": lambda: _model("w", [_node("MaxPool", ["x"], "p", kernel_shape=[1, 1], strides=[2, 1]),
                                            _node("Greater", ["p", "zero"], "b"),
                                            _node("Where", ["b", "p", "x"], "m"),
                                            _node("Mean", ["m", "x", "p"], "y")], [("zero", np.float32(0))]),
    "positional_table": lambda: _model("t", [_node("Conv", ["x", "w"], "c", kernel_shape=[2, 2], strides=[2, 2]),
                                              _node("Add", ["c", "table"], "y")],
                                       [("w", _w([4, 1, 2, 2])), ("table", _w([1, 4, 5, 1]))]),
    "reduce_mean_keepdims0": lambda: _model("r", [_node("Conv", ["x", "w"], "c", kernel_shape=[3, 3]),
                                                   _node("ReduceMean", ["c"], "r", axes=[2, 3], keepdims=0),
                                                   _node("Gemm", ["r", "fc"], "y", transB=1)],
                                            [("w", _w([4, 1, 3, 3])), ("fc", _w([2, 4]))]),
    "squeeze_after_gap": lambda: _model("s", [_node("Conv", ["x", "w"], "c", kernel_shape=[3, 3]),
                                               _node("GlobalAveragePool", ["c"], "g"),
                                               _node("Squeeze", ["g", "ax"], "q"),
                                               _node("MatMul", ["q", "fc"], "y")],
                                        [("w", _w([4, 1, 3, 3])), ("ax", _i64([2, 3])), ("fc", _w([4, 5]))]),
    "exporter_flatten_chain": lambda: _model("f", [
        _node("Conv", ["x", "w"], "c", kernel_shape=[3, 3], strides=[2, 2]),
        _node("Shape", ["c"], "shape"),
        helper.make_node("Constant", [], ["zero"], name="/zero/Constant", value=numpy_helper.from_array(_i64(0))),
        _node("Gather", ["shape", "zero"], "batch", axis=0),
        _node("Unsqueeze", ["batch", "ax0"], "b1"),
        _node("Concat", ["b1", "minus"], "target", axis=0),
        _node("Reshape", ["c", "target"], "r"),
        _node("Gemm", ["r", "fc"], "y", transB=1)],
        [("w", _w([2, 1, 3, 3])), ("ax0", _i64([0])), ("minus", _i64([-1])), ("fc", _w([3, 2 * 3 * 4]))]),
    "reshape_fixed": lambda: _model("r", [_node("Conv", ["x", "w"], "c", kernel_shape=[3, 3], strides=[2, 2]),
                                           _node("Reshape", ["c", "shape"], "y")],
                                    [("w", _w([2, 1, 3, 3])), ("shape", _i64([1, 18]))]),
    "activations": lambda: _model("a", [_node("LeakyRelu", ["x"], "a"), _node("HardSwish", ["a"], "b"),
                                         _node("Clip", ["b", "lo", "hi"], "c"),
                                         _node("InstanceNormalization", ["c", "s", "s"], "d"),
                                         _node("Dropout", ["d"], "e"), _node("PRelu", ["e", "slope"], "f"),
                                         _node("Conv", ["f", "w"], "y", kernel_shape=[2, 2])],
                                  [("lo", np.float32(0)), ("hi", np.float32(6)), ("s", _w([1])),
                                   ("slope", _w([1, 1, 1])), ("w", _w([1, 1, 2, 2]))]),
}
#: Sizes each case accepts, worked out by hand from the ONNX specification (as strict windows).
RULES = {
    "tconv_output_shape_lower": lambda s: 3 * (s[0] - 1) + 2 + 2 >= 11 and 2 * (s[1] - 1) + 3 + 1 >= 7,
    "positional_table": lambda s: s[0] // 2 in (1, 5) and s[1] >= 2,
    "reshape_fixed": lambda s: min(s) >= 3 and 2 * ((s[0] - 3) // 2 + 1) * ((s[1] - 3) // 2 + 1) == 18,
    "exporter_flatten_chain": lambda s: min(s) >= 3 and 2 * ((s[0] - 3) // 2 + 1) * ((s[1] - 3) // 2 + 1) == 24,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_op_against_onnxruntime(name):
    model = CASES[name]()
    sizes = sorted({(h, w) for h in range(1, 25) for w in (1, 2, 3, 7, 8, 9, 16)} | {(w, h) for h in range(1, 25)
                                                                                    for w in (1, 5, 12)})
    seen = compare(model, sizes, {"MaxPool", "AveragePool", "LpPool"})  # onnxruntime's truncating pools
    assert seen["runs"] > 0
    if name in RULES:
        graph = from_onnx(model)
        assert [run_graph(graph, size).ok for size in sizes] == [RULES[name](size) for size in sizes]


def test_ort_refuses_same_with_a_dilation_where_symconv_follows_the_specification():
    """docs/conventions.md: onnxruntime refuses SAME with d > 1 at every size; the spec (and symconv) size it."""
    model = _model("c", [_node("Conv", ["x", "w"], "y", kernel_shape=[3, 3], dilations=[2, 2],
                               auto_pad="SAME_UPPER")], [("w", _w([1, 1, 3, 3]))])
    assert isinstance(OrtModel(model).shapes((8, 8)), RuntimeRefusal)
    run = run_graph(from_onnx(model), (8, 8))
    assert run.ok and run.sizes["y"] == (8, 8)


# ---------------------------------------------------------------- bad input, one line each


def one_line(error) -> str:
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_missing_file_and_not_onnx(tmp_path):
    with pytest.raises(ParameterError) as error:
        from_onnx(tmp_path / "missing.onnx")
    assert "cannot read it" in one_line(error)
    text = tmp_path / "text.onnx"
    text.write_text("x = input [H, W]; a = conv k=3\n" * 20)
    with pytest.raises(ParameterError) as error:
        from_onnx(text)
    assert "not an ONNX model" in one_line(error)
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(NETS["unet"]()[0].SerializeToString()[:-37])
    with pytest.raises(ParameterError) as error:
        from_onnx(corrupt)
    assert "not an ONNX model" in one_line(error)
    with pytest.raises(ParameterError, match="give an .onnx file's path"):
        from_onnx(42)


def test_no_spatial_input():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "flat", [x], [y]))
    with pytest.raises(ParameterError) as error:
        from_onnx(model)
    assert "no input with spatial axes" in one_line(error) and "x: rank 2" in one_line(error)


BAD = {
    "unsupported op": (lambda: _model("u", [_node("DepthToSpace", ["x"], "y", blocksize=2)]),
                       "node '/y/DepthToSpace' (DepthToSpace) op_type='DepthToSpace' is invalid: symconv cannot size"),
    "non-integer scale": (lambda: _model("r", [_node("Resize", ["x", "", "scales"], "y")],
                                         [("scales", np.array([1, 1, 1.5, 1.5], np.float32))]),
                          "node '/y/Resize' (Resize) scales=(1.0, 1.0, 1.5, 1.5) is invalid: symconv sizes integer"
                          " scale factors on the spatial axes; 1.5 on axis 2 is not one"),
    "dynamic reshape": (lambda: _model("d", [_node("Shape", ["x"], "s"), _node("Reshape", ["x", "s"], "y")]),
                        "node '/y/Reshape' (Reshape) shape='s' is invalid: it depends on a spatial size of 'x'"),
    "dynamic resize": (lambda: _model("d", [_node("Shape", ["x"], "s"),
                                            _node("Slice", ["s", "zero", "two"], "nc"),
                                            _node("Slice", ["s", "two", "four"], "hw"),
                                            _node("Mul", ["hw", "two"], "hw2"),
                                            _node("Concat", ["nc", "hw2"], "m", axis=0),
                                            _node("Resize", ["x", "", "", "m"], "y")],
                                      [("zero", _i64([0])), ("two", _i64([2])), ("four", _i64([4]))]),
                       "node '/y/Resize' (Resize) sizes='m' is invalid: it depends on a spatial size of 'x'"),
    "partial reduction": (lambda: _model("r", [_node("ReduceMax", ["x"], "y", axes=[3])]),
                          "node '/y/ReduceMax' (ReduceMax) axes=(3,) is invalid"),
    "reflect pad": (lambda: _model("p", [_node("Pad", ["x", "pads"], "y", mode="reflect")],
                                   [("pads", _i64([0, 0, 1, 1, 0, 0, 1, 1]))]),
                    "node '/y/Pad' (Pad) mode='reflect' is invalid"),
    "negative tconv SAME": (lambda: _model("t", [_node("ConvTranspose", ["x", "w"], "y", strides=[3, 3],
                                                       auto_pad="SAME_UPPER")], [("w", _w([1, 1, 1, 1]))]),
                            "node '/y/ConvTranspose' (ConvTranspose) auto_pad='SAME_UPPER' is invalid"),
    "custom domain": (lambda: _model("c", [helper.make_node("Foo", ["x"], ["y"], name="foo", domain="my.ops")]),
                      "node 'foo' (Foo) domain='my.ops' is invalid"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_models_are_one_line(case):
    build, message = BAD[case]
    with pytest.raises(ParameterError) as error:
        from_onnx(build())
    assert one_line(error).startswith(message), one_line(error)


def test_a_size_computed_from_the_input_folds_at_a_fixed_input_size():
    model = BAD["dynamic resize"][0]()
    graph = from_onnx(model, input_size=(5, 7))
    assert tensor_sizes(graph)["y"] == (10, 14)


# ---------------------------------------------------------------- the registry and the command line


def test_the_registry_reads_files_and_protos(tmp_path):
    model, _ = OPS["pad"]()
    path = tmp_path / "pad.onnx"
    path.write_bytes(model.SerializeToString())
    assert str(import_graph(path)) == str(import_graph(model)) == str(from_onnx(str(path)))


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "symconv", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_cli_graph_of_an_onnx_file(tmp_path):
    model, _ = NETS["unet"]()
    path = tmp_path / "unet.onnx"
    path.write_bytes(model.SerializeToString())
    done = _cli("graph", str(path))
    assert done.returncode == 0, done.stderr
    assert "H ≡ 0 (mod 16), H ≥ 16" in done.stdout
    done = _cli("graph", str(path), "-i", "88,96")
    assert done.returncode == 1
    assert "Concat 'cat4': 11 vs 12 along H" in done.stdout or "Concat 'cat4': 11 vs 10 along H" in done.stdout
    done = _cli("graph", str(path), "-i", "96", "--json")
    assert done.returncode == 0 and done.stdout.lstrip().startswith("{")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00\x01garbage" * 10)
    done = _cli("graph", str(bad))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not an ONNX model" in done.stderr
    done = _cli("graph", str(tmp_path / "missing.onnx"))
    assert done.returncode == 2 and "missing.onnx" in done.stderr
