"""Issue 11, item 3: the PyTorch importer, against what PyTorch actually does.

Every imported graph is checked the same way (:func:`disagreements`): over a sweep of
input sizes, symconv's valid set (per axis, and jointly where a Linear fixes the flat
size) holds exactly where PyTorch runs; where it runs, the symbolic size of every node,
evaluated there, is the shape PyTorch gives that node (``runtime.TorchModel``: an fx
trace run node by node); where it refuses, symconv's first failure is the node PyTorch
raised at. Nothing is compared with a formula written here.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch importer needs the torch extra: pip install 'symconv[torch]'")
from torch import nn  # noqa: E402

import symconv  # noqa: E402
from runtime import RuntimeRefusal, TorchModel  # noqa: E402
from symconv.core.errors import ParameterError  # noqa: E402
from symconv.graphs.decide import valid_sizes  # noqa: E402
from symconv.graphs.sizes import axis_symbol, run_graph, tensor_sizes  # noqa: E402
from symconv.importers import import_graph  # noqa: E402
from symconv.importers.from_torch import from_torch  # noqa: E402

F = nn.functional

try:  # the flat-size checks (a Linear's in_features against C·h·w) couple the axes
    from symconv.graphs.joint import joint_sizes
except ImportError:  # pragma: no cover - before that lands
    joint_sizes = None


# ---------------------------------------------------------------- the check


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Thousands of tiny runs: threads cost more than they give, and the machine is shared.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def sweep(example: Sequence[int], limit: int = 64, large: bool = True) -> list[tuple[int, ...]]:
    """Each axis over 1..limit with the others at the example, the diagonal, and some large non-square sizes."""
    n = len(example)
    sizes = {tuple(example)}
    for axis in range(n):
        for value in range(1, limit + 1):
            sizes.add(tuple(value if a == axis else example[a] for a in range(n)))
    sizes.update((value,) * n for value in range(1, limit + 1))
    if large:
        sizes.update(size[:n] for size in ((97, 224, 9), (224, 97, 6), (255, 130, 7), (130, 257, 12), (320, 33, 4),
                                           (448, 448, 16)))
    return sorted(sizes)


def _valid(graph: Any) -> Callable[[dict], bool]:
    decisions = valid_sizes(graph)
    joint = joint_sizes(graph) if joint_sizes is not None else None

    def valid(values: dict) -> bool:
        return all(values[axis] in decisions[axis].answer for axis in graph.axes) and (joint is None or values in joint)
    return valid


def disagreements(module: Any, graph: Any, example: Sequence[int], sizes: Sequence[Sequence[int]]) -> list[str]:
    """Where symconv and PyTorch differ over ``sizes`` (spatial): each a line saying how; asserts that symconv's
    own answers agree with each other (the valid set, ``run_graph``, the expressions)."""
    runtime = TorchModel(module)
    valid = _valid(graph)
    expressions = tensor_sizes(graph)
    symbols = {axis: axis_symbol(axis) for axis in graph.axes}
    cache: dict = {}

    def value(expression: Any, values: dict) -> int:
        key = (expression, tuple(sorted(values.items())))
        if key not in cache:
            cache[key] = int(expression.xreplace({symbols[a]: n for a, n in values.items()}))
        return cache[key]

    found: list[str] = []
    for size in sizes:
        values = dict(zip(graph.axes, size))
        shapes = runtime.shapes((*example[:2], *size))
        ok = valid(values)
        run = run_graph(graph, values)
        assert run.ok == ok, (size, run.failure)
        if isinstance(shapes, RuntimeRefusal):
            if ok:
                found.append(f"{size}: symconv runs it, PyTorch refuses at {shapes.node}: {shapes.message[:120]}")
            elif run.failure is not None and run.failure.node in {n.name for n in graph.nodes}:
                node = graph.node(run.failure.node)
                if shapes.node not in (node.label, node.name):
                    found.append(f"{size}: symconv fails first at {node.shown} ({run.failure.message}), PyTorch at"
                                 f" {shapes.node}")
            continue
        if not ok:
            if not any(0 in shape for shape in shapes.values()):
                found.append(f"{size}: PyTorch runs it, symconv says {run.failure.message if run.failure else 'no'}")
            # else PyTorch made an empty tensor (a crop or a slice to nothing), which symconv calls invalid
            continue
        checked = {}
        for node in graph.nodes:
            key = node.label if node.label in shapes else node.name
            if key in shapes:
                checked[key] = node
        assert checked, "no node of the graph is in PyTorch's record"
        for key, node in checked.items():
            mine = tuple(value(e, values) for e in expressions[node.name])
            theirs = shapes[key][2:]
            if mine != theirs or run.sizes[node.name] != theirs:
                found.append(f"{size}: {key}: symconv {mine} (run {run.sizes[node.name]}), PyTorch {theirs}")
    return found


def check(module: Any, example: Sequence[int], limit: int = 40, large: bool = True, **options: Any) -> Any:
    if torch.fx.Tracer().is_leaf_module(module, ""):
        module = nn.Sequential(module)  # so that runtime.TorchModel's trace sees the layer, as from_torch does
    module = module.eval()
    graph = from_torch(module, torch.zeros(tuple(example)), **options)
    assert disagreements(module, graph, example, sweep(example[2:], limit, large)) == []
    return graph


class Fn(nn.Module):
    """A module whose forward is ``fn(self, x)``: functional calls, traced by fx like any forward."""

    def __init__(self, fn: Callable[..., Any], params: dict | None = None, **layers: nn.Module) -> None:
        super().__init__()
        self.fn = fn
        for name, layer in layers.items():
            self.add_module(name, layer)
        for name, shape in (params or {}).items():
            self.register_parameter(name, nn.Parameter(torch.zeros(shape)))

    def forward(self, x):
        return self.fn(self, x)


# ---------------------------------------------------------------- one module or function at a time

UNITS = {
    # convolutions: padding int / tuple / 'same' / 'valid', padding modes with the sizes of zeros, dilation, stride
    "conv1d": (nn.Conv1d(1, 1, 3), (1, 1, 9)),
    "conv1d_strided_dilated": (nn.Conv1d(1, 1, 4, stride=3, padding=2, dilation=2), (1, 1, 20)),
    "conv2d_tuple": (nn.Conv2d(1, 1, (3, 5), stride=(2, 1), padding=(1, 2)), (1, 1, 9, 9)),
    "conv2d_same_even_dilated": (nn.Conv2d(1, 1, 4, padding="same", dilation=3), (1, 1, 9, 9)),
    "conv2d_valid": (nn.Conv2d(1, 1, (2, 3), padding="valid", stride=(1, 2)), (1, 1, 9, 9)),
    "conv2d_replicate": (nn.Conv2d(1, 1, 3, padding=2, padding_mode="replicate"), (1, 1, 9, 9)),
    "conv3d": (nn.Conv3d(1, 1, 3, stride=2, padding=1), (1, 1, 5, 6, 7)),
    # transposed
    "tconv1d": (nn.ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=1), (1, 1, 5)),
    "tconv2d": (nn.ConvTranspose2d(1, 1, (2, 3), stride=(2, 3), padding=(0, 2), output_padding=(1, 2)), (1, 1, 5, 5)),
    "tconv2d_dilated": (nn.ConvTranspose2d(1, 1, 3, stride=1, padding=3, dilation=2, output_padding=1),
                        (1, 1, 5, 5)),
    "tconv3d": (nn.ConvTranspose3d(1, 1, 2, stride=2), (1, 1, 3, 4, 5)),
    "tconv_output_size": (Fn(lambda self, x: self.up(x, output_size=(1, 1, 10, 9)),
                             up=nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)), (1, 1, 5, 5)),
    # pools
    "maxpool1d_ceil": (nn.MaxPool1d(3, 2, padding=1, ceil_mode=True), (1, 1, 9)),
    "maxpool2d_dilated_ceil": (nn.MaxPool2d(3, stride=2, dilation=2, ceil_mode=True), (1, 1, 9, 9)),
    "avgpool2d_ceil": (nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False), (1, 1, 9, 9)),
    "avgpool3d": (nn.AvgPool3d((2, 1, 3)), (1, 1, 4, 4, 4)),
    "lppool1d": (nn.LPPool1d(2, 3, stride=2), (1, 1, 9)),
    "adaptive_avg2d": (nn.AdaptiveAvgPool2d(3), (1, 1, 9, 9)),
    "adaptive_max1d": (nn.AdaptiveMaxPool1d(5), (1, 1, 9)),
    "adaptive_none": (nn.AdaptiveAvgPool2d((None, None)), (1, 1, 9, 9)),
    # upsampling and fixed sizes
    "upsample": (nn.Upsample(scale_factor=3), (1, 1, 4, 4)),
    "upsample_bilinear_per_axis": (nn.Upsample(scale_factor=(2, 1), mode="bilinear"), (1, 1, 4, 4)),
    "upsample_size": (nn.Upsample(size=(4, 6)), (1, 1, 4, 4)),
    "interpolate_trilinear": (Fn(lambda self, x: F.interpolate(x, scale_factor=2.0, mode="trilinear")),
                              (1, 1, 2, 3, 4)),
    "interpolate_size_linear": (Fn(lambda self, x: F.interpolate(x, size=7, mode="linear")), (1, 1, 5)),
    "pixel_shuffle": (nn.PixelShuffle(2), (1, 4, 3, 3)),
    # padding: F.pad's pairs start at the last axis; negative amounts crop
    "pad": (Fn(lambda self, x: F.pad(x, (1, 2))), (1, 1, 4, 4)),
    "pad_crop": (Fn(lambda self, x: F.pad(x, (1, -1, -2, 3))), (1, 1, 6, 6)),
    "pad_channels": (Fn(lambda self, x: F.pad(x, (0, 0, 1, 0, 2, 2))), (1, 1, 4, 4)),
    "zero_pad": (nn.ZeroPad2d((1, 0, 2, 3)), (1, 1, 4, 4)),
    "replication_pad": (nn.ReplicationPad1d((2, 0)), (1, 1, 4)),
    # joins
    "cat_channels": (Fn(lambda self, x: torch.cat([x, self.c(x)], dim=1), c=nn.Conv2d(1, 1, 3, padding=1)),
                     (1, 1, 6, 6)),
    "cat_spatial": (Fn(lambda self, x: torch.concat((x, self.p(x)), -1), p=nn.MaxPool2d((1, 2))), (1, 1, 6, 6)),
    "add_misaligned": (Fn(lambda self, x: self.a(x) + self.b(x), a=nn.Conv2d(1, 1, 3, stride=2),
                          b=nn.Conv2d(1, 1, 1, stride=2)), (1, 1, 3, 3)),
    "broadcast_slice": (Fn(lambda self, x: (x - x[..., :1]) / torch.add(x, 1.0)), (1, 1, 6, 6)),
    "mul_constant": (Fn(lambda self, x: torch.mul(x, self.w) * 2, {"w": (1, 1, 1, 5)}), (1, 1, 5, 5)),
    # flatten at the end, then Linear
    "flatten_linear": (nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(4, 3)), (1, 1, 6, 6)),
    "view_linear": (Fn(lambda self, x: self.fc(self.p(x).view(x.size(0), -1)), p=nn.AdaptiveMaxPool2d((1, 2)),
                       fc=nn.Linear(2, 2)), (1, 1, 6, 6)),
    "flatten_linear_fixed": (nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 3, 3)), (1, 1, 4, 6)),
    "view_fixed": (Fn(lambda self, x: self.p(x).view(x.shape[0], 6), p=nn.MaxPool2d(2)), (1, 1, 4, 6)),
    # shape-preserving modules, functions and methods
    "preserving": (nn.Sequential(nn.BatchNorm2d(2), nn.ReLU(), nn.Dropout(), nn.Hardswish(), nn.Identity(),
                                 nn.Sequential(nn.GroupNorm(1, 2), nn.Softmax(dim=1))), (1, 2, 5, 5)),
    "preserving_functions": (Fn(lambda self, x: torch.sigmoid(F.relu(x)).contiguous().clamp(0, 1).relu()),
                             (1, 1, 5, 5)),
    # functional layers with constant arguments
    "functional": (Fn(lambda self, x: F.conv_transpose2d(F.max_pool2d(F.conv2d(x, self.w, padding=1), 2,
                                                                      ceil_mode=True), self.t, stride=2),
                      params={"w": (1, 1, 3, 3), "t": (1, 1, 2, 2)}), (1, 1, 8, 8)),
    "functional_1d": (Fn(lambda self, x: F.avg_pool1d(F.conv1d(x, self.w, stride=2), 3, ceil_mode=True, padding=1),
                         {"w": (1, 1, 3)}), (1, 1, 12)),
    # slices with constant bounds
    "slice_inner": (Fn(lambda self, x: x[..., 1:-1]), (1, 1, 6, 6)),
    "slice_steps": (Fn(lambda self, x: x[:, :, ::2, 3:]), (1, 1, 6, 6)),
    "slice_channels": (Fn(lambda self, x: x[:, :1]), (1, 2, 6, 6)),
}


def _unit(name: str) -> tuple[nn.Module, tuple[int, ...]]:
    module, example = UNITS[name]
    return module.eval(), example


@pytest.mark.parametrize("name", sorted(UNITS))
def test_each_module_and_function_agrees_with_pytorch(name):
    module, example = _unit(name)
    check(module, example, limit=24 if len(example) == 5 else 40, large=len(example) < 5)


@pytest.mark.parametrize("name, text", [
    ("conv2d_tuple", "conv k=3,5 s=2,1 p=1:1,2:2"),
    ("conv2d_same_even_dilated", "conv k=4 d=3 scheme=torch-same"),
    ("tconv2d", "tconv k=2,3 s=2,3 p=0:0,2:2 op=1,2"),
    ("maxpool2d_dilated_ceil", "pool k=3 s=2 d=2 ceil"),
    ("pad_crop", "pad p=-2:3,1:-1"),
    ("zero_pad", "pad p=2:3,1:0"),
    ("upsample_bilinear_per_axis", "upsample f=2,1"),
    ("slice_steps", "slice [::2, 3:]"),
    ("cat_spatial", "cat axis=1"),
])
def test_the_graph_reads_like_the_call(name, text):
    module, example = _unit(name)
    graph = from_torch(module.eval(), torch.zeros(example))
    assert text in str(graph), str(graph)


def test_labels_and_op_types_are_pytorch_s():
    module, example = _unit("cat_channels")
    graph = from_torch(module, torch.zeros(example))
    shown = {(node.label, node.op_type) for node in graph.nodes}
    assert {("c", "Conv2d"), ("cat", "cat"), ("x", "placeholder")} <= shown
    run = run_graph(graph, (6, 6))
    assert run.ok


def test_a_constant_output_size_fixes_the_input_size():
    module, example = _unit("tconv_output_size")
    graph = from_torch(module, torch.zeros(example))
    assert [str(valid_sizes(graph)[axis]) for axis in ("H", "W")] == ["i = 5", "i = 5"]
    assert run_graph(graph, (6, 5)).failure.message == "ConvTranspose2d 'up': 12 vs 10 along H"


def test_the_valid_sets_of_a_few_units():
    # PyTorch's own words, read off its errors by the sweep above; here the sets as symconv states them.
    module, example = _unit("add_misaligned")
    assert str(valid_sizes(from_torch(module, torch.zeros(example)))["H"]) == "i ∈ {3, 4}"
    module, example = _unit("mul_constant")
    graph = from_torch(module, torch.zeros(example))
    assert (str(valid_sizes(graph)["H"]), str(valid_sizes(graph)["W"])) == ("i ≥ 1", "i ∈ {1, 5}")


# ---------------------------------------------------------------- whole networks

def _nets() -> dict[str, tuple[Callable[[], Any], tuple[int, ...]]]:
    """Every test net: a factory of the module, and an example input shape it runs on."""
    from models import torch_nets

    nets = {}
    for name, make in torch_nets.TORCH_NETS.items():
        info = make()[1]
        nets[name] = (lambda make=make: make()[0], (1, info.channels, *info.example))
    nets.update(torch_nets.IMPORT_NETS)
    return nets


NET_NAMES = ["unet", "resnet50", "mixed", "vgg", "vgg_fixed", "unet_output_padding", "same_dilated", "pad_cat",
             "ceil_pools", "interpolate", "adaptive_linear", "conv1d", "conv3d"]


@pytest.mark.parametrize("name", NET_NAMES)
def test_every_net_agrees_with_pytorch_over_a_sweep(name):
    pytest.importorskip("onnx", reason="tests/models builds the nets' ModelInfo with onnx")
    make, example = _nets()[name]
    module = make().eval()
    graph = from_torch(module, torch.zeros(example))
    if name == "vgg_fixed":  # in_features fixes 7x7 features: the sweep goes where that holds
        sizes = sweep(example[2:], 16, large=False) + [(h, w) for h in (200, 224, 240, 255, 256) for w in (224, 250)]
    elif len(example) == 5:
        sizes = sweep(example[2:], 20, large=False)
    else:
        sizes = sweep(example[2:], 64)
    assert disagreements(module, graph, example, sizes) == []
    valid = _valid(graph)
    assert any(valid(dict(zip(graph.axes, size))) for size in sizes), "the sweep must reach sizes that run"


def test_adaptive_pool_keeping_one_axis_is_exact():
    # AdaptiveMaxPool2d((None, 4)): H kept, W fixed; then a Linear whose in_features couple H with the channels.
    module, example = nn.Sequential(nn.AdaptiveMaxPool2d((None, 4))), (1, 1, 6, 6)
    graph = from_torch(module, torch.zeros(example))
    assert str(graph).endswith("apool size=_,4 (input_1)")
    assert disagreements(module, graph, example, sweep((6, 6), 20)) == []
    head = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2), nn.AdaptiveAvgPool2d((None, 3)), nn.Flatten(),
                         nn.Linear(2 * 5 * 3, 4))
    graph = from_torch(head, torch.zeros(1, 1, 11, 11))
    assert disagreements(head, graph, (1, 1, 11, 11), sweep((11, 11), 30)) == []


def test_the_nets_valid_sets_are_the_known_ones():
    pytest.importorskip("onnx", reason="tests/models builds the nets' ModelInfo with onnx")
    from models import torch_nets

    for name, make in torch_nets.TORCH_NETS.items():
        module, info = make()
        graph = from_torch(module, torch.zeros(1, info.channels, *info.example))
        valid = _valid(graph)
        assert all(valid(dict(zip(graph.axes, (n, info.example[1])))) == info.accepts((n, info.example[1]))
                   for n in info.sweep), name


def test_reflect_padding_needs_more_units_and_the_graph_says_so():
    # Reflect padding has the sizes of zero padding, but PyTorch also needs each axis longer than its padding:
    # the graph crops and pads back ("_needs", "_kept") to say exactly that.
    pytest.importorskip("onnx", reason="tests/models builds the nets' ModelInfo with onnx")
    make, example = _nets()["same_dilated_reflect"]
    module = make().eval()
    graph = from_torch(module, torch.zeros(example))
    assert {"b_needs", "b_kept", "d_needs", "d_kept"} <= {node.name for node in graph.nodes}
    sizes = sweep(example[2:], 24, large=False)
    assert disagreements(module, graph, example, sizes) == []
    zeros = from_torch(_nets()["same_dilated"][0]().eval(), torch.zeros(example))
    assert str(valid_sizes(zeros)["H"]) == "i ≥ 1" and str(valid_sizes(graph)["H"]) == "i ≥ 7"


def test_instance_norm_needs_two_units_which_symconv_does_not_say():
    # A real difference: F.instance_norm (and group_norm with one channel a group) needs more than one value
    # per channel, a condition on the product of the sizes that no per-axis set states. Exactly there.
    module = nn.Sequential(nn.MaxPool2d(2), nn.InstanceNorm2d(1))
    graph = from_torch(module, torch.zeros(1, 1, 8, 8))
    found = disagreements(module, graph, (1, 1, 8, 8), sweep((8, 8), 12, large=False))
    pooled = [tuple(run_graph(graph, size).sizes["_0"]) for size in sweep((8, 8), 12, large=False)
              if run_graph(graph, size).ok]
    assert len(found) == pooled.count((1, 1)) > 0
    assert all("Expected more than 1 spatial element" in line for line in found), found


# ---------------------------------------------------------------- several inputs


class TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.up = nn.Upsample(scale_factor=2)

    def forward(self, x, y):
        return torch.cat([x, self.up(self.pool(y))], 1)


def test_several_inputs_have_their_own_axes_unless_named_alike():
    module, x = TwoInputs(), torch.zeros(1, 1, 8, 8)
    with pytest.raises(ParameterError, match=r"^cat 'cat'.*follow the input axes H and H_y"):
        from_torch(module, (x, x))
    graph = from_torch(module, (x, x), input_names=[("H", "W"), ("H", "W")])
    assert graph.axes == ("H", "W")
    valid = _valid(graph)
    for h in range(1, 30):
        try:
            module(torch.zeros(1, 1, h, 8), torch.zeros(1, 1, h, 8))
            runs = True
        except RuntimeError:
            runs = False
        assert valid({"H": h, "W": 8}) == runs, h


def test_a_second_input_with_a_default_is_left_at_it():
    class Optional_(nn.Module):
        def forward(self, x, scale=None):
            return x if scale is None else x * scale

    graph = from_torch(Optional_(), torch.zeros(1, 1, 4, 4))
    assert [node.name for node in graph.nodes] == ["x"]


# ---------------------------------------------------------------- through the registry


def test_the_registry_and_the_facade_reach_it():
    module = nn.Sequential(nn.Conv2d(1, 1, 3))
    x = torch.zeros(1, 1, 5, 5)
    assert str(import_graph(module, x)) == str(symconv.from_torch(module, x)) == str(from_torch(module, x))


# ---------------------------------------------------------------- bad input: one line, naming the call


class DataDependent(nn.Module):
    def forward(self, x):
        return x if x.sum() > 0 else -x


class Ones(nn.Module):
    def forward(self, x):
        return x + torch.ones(x.shape)


BAD = [
    ("not a module", "net", torch.zeros(1, 1, 4, 4), {}, r"^module='str' is invalid: expected a torch.nn.Module$"),
    ("not a tensor", nn.ReLU(), [[1.0]], {}, r"^example_input='list' is invalid: expected a torch.Tensor"),
    ("no spatial axis", nn.ReLU(), torch.zeros(1, 3), {},
     r"^example_input=\(1, 3\) is invalid: an input is \(batch, channels, \*spatial\)"),
    ("untraceable", DataDependent(), torch.zeros(1, 1, 4, 4), {},
     r"^module='DataDependent' is invalid: torch.fx cannot trace it: .*control flow"),
    ("does not run", nn.Conv2d(3, 1, 3), torch.zeros(1, 1, 4, 4), {},
     r"^example_input=\(1, 1, 4, 4\) is invalid: Conv2d does not run on it: at 'conv2d': .*3 channels"),
    ("missing input", TwoInputs(), torch.zeros(1, 1, 4, 4), {},
     r"^example_input='1 tensor\(s\)' is invalid: TwoInputs.forward also needs y"),
    ("input names", nn.ReLU(), torch.zeros(1, 1, 4, 4), {"input_names": ["H"]}, r"^input_names=\['H'\] is invalid"),
    ("reserved name", nn.ReLU(), torch.zeros(1, 1, 4, 4), {"input_names": ["k", "W"]}, r"shape=\('k', 'W'\)"),
    ("unsupported module", nn.Sequential(nn.Unfold(2)), torch.zeros(1, 1, 4, 4), {},
     r"^Unfold '0' op='torch.nn.modules.fold.Unfold' is invalid: symconv does not know how this module changes"),
    ("unsupported function", Fn(lambda self, x: torch.roll(x, 1, 2)), torch.zeros(1, 1, 4, 4), {},
     r"^roll 'roll' op='.*roll' is invalid: symconv does not know how this function changes sizes$"),
    ("unsupported method", Fn(lambda self, x: x.permute(0, 1, 3, 2)), torch.zeros(1, 1, 4, 4), {},
     r"^permute 'permute' op='Tensor.permute' is invalid"),
    ("view(-1, n)", Fn(lambda self, x: x.view(-1, 16)), torch.zeros(1, 1, 4, 4), {},
     r"^view 'view' shape=\(-1, 16\) is invalid: .*write x.flatten\(1\)$"),
    ("non-integer scale", nn.Upsample(scale_factor=1.5), torch.zeros(1, 1, 4, 4), {},
     r"scale_factor=1.5 is invalid: symconv sizes integer scale factors only"),
    ("output_size at run time", Fn(lambda self, x: self.up(self.c(x), output_size=x.size()),
                                   up=nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1),
                                   c=nn.Conv2d(1, 1, 3, stride=2, padding=1)), torch.zeros(1, 1, 8, 8), {},
     r"^ConvTranspose2d 'up' output_size='<the shape of x>' is invalid: it is computed at run time"),
    ("interpolate to another's size", Fn(lambda self, x: F.interpolate(x, size=x.shape[2:])),
     torch.zeros(1, 1, 4, 4), {}, r"^interpolate 'interpolate' size=.* is invalid: it is computed at run time"),
    ("integer index", Fn(lambda self, x: x[:, 0]), torch.zeros(1, 2, 4, 4), {},
     r"^getitem 'getitem' index=.* is invalid: symconv follows slices with constant bounds"),
    ("layer norm over space", nn.LayerNorm([4, 4]), torch.zeros(1, 1, 4, 4), {},
     r"normalized_shape=.* is invalid: on a tensor with spatial axes it fixes"),
    ("linear on space", nn.Linear(4, 2), torch.zeros(1, 1, 4, 4), {}, r"Linear reads the last one"),
    ("a tensor from sizes", Ones(), torch.zeros(1, 1, 4, 4), {},
     r"^ones 'ones' args=.* is invalid: it makes a tensor whose size is read at run time"),
    ("partial flatten", nn.Flatten(2), torch.zeros(1, 1, 4, 4), {}, r"start_dim=\(2, -1\) is invalid"),
    ("return indices", nn.MaxPool2d(2, return_indices=True), torch.zeros(1, 1, 4, 4), {},
     r"^MaxPool2d 'maxpool2d' return_indices=True is invalid: symconv follows one output tensor$"),
]


@pytest.mark.parametrize("what, module, example, options, message", BAD, ids=[case[0] for case in BAD])
def test_bad_input_is_one_line(what, module, example, options, message):
    with pytest.raises(ParameterError, match=message) as raised:
        from_torch(module, example, **options)
    assert "\n" not in str(raised.value)


class _Segmenter(nn.Module):
    """Two stages down, two up; the first up-convolution forgets output_padding, so it runs on no size."""

    def __init__(self, output_padding: int = 0):
        super().__init__()
        self.enc1, self.down1 = nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2)
        self.enc2, self.down2 = nn.Conv2d(4, 8, 3, padding=1), nn.MaxPool2d(2)
        self.mid = nn.Conv2d(8, 8, 3, padding=1)
        self.up2 = nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=output_padding)
        self.up1 = nn.ConvTranspose2d(16, 4, 2, stride=2)
        self.out = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.down1(e1))
        d2 = torch.cat([e2, self.up2(self.mid(self.down2(e2)))], dim=1)
        return self.out(torch.cat([e1, self.up1(d2)], dim=1))


def test_a_model_that_runs_on_no_size_imports_and_its_suggested_fix_runs_in_pytorch():
    """The example only traces: a model that fails at it (and at every size) is still read, and the checked fix
    that symconv suggests makes the real module run exactly where symconv says."""
    from symconv.graphs.report import analyse_graph

    broken = _Segmenter().eval()
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        broken(torch.zeros(1, 3, 64, 64))
    report = analyse_graph(from_torch(broken, torch.zeros(1, 3, 64, 64)), 64)
    assert not report.runs and report.run.failure.message == "cat 'cat': 32 vs 31 along H"
    fix = next(fix for fix in report.fixes.fixes if fix.parameter == "output_padding")
    assert (fix.shown, fix.new, str(fix.valid["H"])) == ("up2", 1, "i ≡ 0 (mod 4), i ≥ 4")
    fixed = _Segmenter(output_padding=1).eval()
    assert disagreements(fixed, from_torch(fixed, torch.zeros(1, 3, 64, 64)), (1, 3, 64, 64), sweep((64, 64), 24)) == []
    for size in range(1, 40):
        try:
            fixed(torch.zeros(1, 3, size, 8))
            runs = True
        except RuntimeError:
            runs = False
        assert runs == (size in fix.valid["H"]), size
