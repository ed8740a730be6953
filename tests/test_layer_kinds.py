"""The layer-kind registry: every kind against its oracle, per-axis layers, and a kind added from outside."""

import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import ParameterError, ParseError, conv_output_size
from symconv.core.numeric import compile_expr
from symconv.core.symbols import i
from symconv.layers import (
    Layer, LayerAxis, LayerKind, Stack, aligned_inputs, exact_inputs, layer_kind, layer_kinds, output_size,
    parse_stack, receptive_field, register, same_size_inputs, sizes, unregister, valid_input_sizes,
)
from symconv.layers.regions import through_window

# ---------------------------------------------------------------- the built-in kinds

KINDS = [
    # (name, text word, down-samples)
    ("conv", "conv", True),
    ("pool", "pool", True),
    ("transposed", "tconv", False),
    ("upsample", "upsample", False),
]


def test_the_built_in_kinds():
    assert [(kind.name, kind.word, kind.down_samples) for kind in layer_kinds()] == KINDS


@pytest.mark.parametrize("word, name", [("conv", "conv"), ("pool", "pool"), ("tconv", "transposed"),
                                        ("transposed", "transposed"), ("upsample", "upsample")])
def test_kinds_are_found_by_name_and_word(word, name):
    assert layer_kind(word).name == name
    assert Layer(word, 2).op == name  # a layer stores the kind's name


def _axes(name):
    """Every parameter combination of a kind in a small box."""
    if name == "upsample":
        for f in range(1, 5):
            yield LayerAxis(f, f)
        return
    for k, s, d, before, after in itertools.product(range(1, 5), range(1, 4), range(1, 3), range(3), range(3)):
        if name == "pool":
            for ceil in (False, True):
                yield LayerAxis(k, s, (before, after), d, 0, ceil)
        elif name == "transposed":
            for extra in range(max(s, d)):
                yield LayerAxis(k, s, (before, after), d, extra)
        else:
            yield LayerAxis(k, s, (before, after), d)


@pytest.mark.parametrize("name", [name for name, _, _ in KINDS])
def test_each_kind_matches_its_oracle_on_a_box(name):
    kind, checked = layer_kind(name), 0
    for axis in _axes(name):
        try:
            symbolic = compile_expr(kind.output_size(axis, i), (i,))
        except ParameterError:
            continue  # parameters the kind refuses (pooling padding over half the kernel)
        for n in range(1, 13):
            expected = kind.oracle(axis, n)
            try:
                found = kind.output_size(axis, n)
            except ParameterError:
                assert expected < 1, (axis, n)
                continue
            assert found == expected == symbolic(n), (axis, n)
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("name", [name for name, _, _ in KINDS])
def test_each_kind_undoes_itself(name):
    kind = layer_kind(name)
    for axis in _axes(name):
        for n in range(1, 13):
            try:
                out = kind.output_size(axis, n)
                back = kind.undo(axis, out)
            except ParameterError:
                continue
            if kind.down_samples:
                # The smallest input with the same output: the input itself unless a remainder was
                # dropped, or (in ceil mode) padded.
                assert kind.output_size(axis, back) == out and (back <= n or axis.ceil_mode), (axis, n)
            elif name == "upsample" or axis.output_padding < axis.stride:
                assert back == n, (axis, n)


def test_upsample():
    net = parse_stack("upsample f=2")
    assert net.layers[0] == Layer("upsample", 2) and str(net) == "upsample f=2"
    assert output_size(net) == 2 * i and sizes(net, 7) == [14]
    field = receptive_field(net)
    assert (field.size, field.stride) == (1, Fraction(1, 2))
    assert [field.region(y) for y in range(6)] == [(0, 0), (0, 0), (1, 1), (1, 1), (2, 2), (2, 2)]
    assert str(same_size_inputs(parse_stack("pool k=2; upsample f=2"))) == "i ≡ 0 (mod 2), i ≥ 2"
    assert str(exact_inputs(parse_stack("upsample f=3; pool k=2"))) == "i ≡ 0 (mod 2), i ≥ 2"
    unet = parse_stack("conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; upsample f=2 @d1 | e1=d1")
    assert str(aligned_inputs(unet)) == "i ≡ 0 (mod 2), i ≥ 2"


@pytest.mark.parametrize("spec, error, message", [
    ("upsample", ParseError, "f= is required"),
    ("upsample k=2", ParseError, "upsample takes f=, not k="),
    ("upsample f=0", ParameterError, r"layer 1 f=0 is invalid: kernel_size must be a positive integer"),
    ("upsample f=2 p=1", ParameterError,
     r"layer 1 p=\(1, 1\) is invalid: padding applies to conv, pool and tconv layers only"),
    ("upsample f=2 ceil", ParameterError, "ceil mode applies to pool layers only"),
    ("upsample f=2 s=3", ParameterError, "layer 1 s=3 is invalid: stride applies to conv, pool and tconv layers only"),
    ("tconv k=2 scheme=half", ParameterError, "a padding scheme applies to conv and pool layers only"),
    ("upsample f=64; upsample f=64; upsample f=2", ParameterError,
     r"layer 3 \(upsample f=2\) f=2 is invalid: receptive fields would repeat with period 8192"),
])
def test_upsample_refusals(spec, error, message):
    with pytest.raises(error, match=message):
        receptive_field(parse_stack(spec))


# ---------------------------------------------------------------- a kind added from outside


def _trim(axis: LayerAxis, size):
    return conv_output_size(size, axis.kernel_size)  # what a valid k-window leaves: i - k + 1


TRIM = LayerKind(
    "trim", (("k", "kernel_size"),),
    output_size=_trim,
    receptive_step=lambda regions, axis: through_window(regions, 1, 1, 0, 1),  # output u is input u
    down_samples=False,
    undo=lambda axis, size: size + axis.kernel_size - 1,
    oracle=lambda axis, size: len(list(range(size))[: max(size - axis.kernel_size + 1, 0)]),
    aliases=("crop_end",),
)


@pytest.fixture
def trim():
    register(TRIM)
    yield TRIM
    unregister("trim")


def test_a_registered_kind_runs_through_every_stage(trim):
    net = parse_stack("conv k=3 p=1 @a; crop_end k=3; pool k=2; upsample f=2 @b | a=b")
    assert str(net) == "conv k=3 p=1 @a; trim k=3; pool k=2; upsample f=2 @b | a=b"
    assert parse_stack(str(net)) == net
    assert sizes(net, 11) == [11, 9, 4, 8]
    assert output_size(net) == 2 * ((i - 2) // 2)
    for n in range(4, 40):
        chain = n
        for layer in net.layers:
            chain = layer.kind.oracle(layer.axis(), chain)
        assert sizes(net, n)[-1] == chain
    assert receptive_field(net).size == 4
    assert str(valid_input_sizes(net)) == "i ≥ 4"
    assert str(aligned_inputs(net)) == "no input size"
    assert sizes(net, (11, 12))[-1] == (8, 10)
    assert sizes(Stack([Layer("trim", (3, 1))]), (5, 5)) == [(3, 5)]
    with pytest.raises(ParameterError, match="layer 1 k=0 is invalid"):
        parse_stack("trim k=0")
    with pytest.raises(ParameterError, match="layer 1 s=2 is invalid: stride applies to conv, pool and tconv"):
        Stack([Layer("trim", 3, 2)])


def test_unregistering_removes_every_word(trim):
    unregister("trim")
    with pytest.raises(ParseError, match="unknown op, expected conv, pool, tconv or upsample"):
        parse_stack("crop_end k=2")
    register(TRIM)  # for the fixture to remove


@pytest.mark.parametrize("change, message", [
    (dict(name="conv"), "the word is taken by the kind 'conv'"),
    (dict(aliases=("tconv",)), "the word is taken by the kind 'transposed'"),
    (dict(name="Trim"), "lowercase ASCII words"),
    (dict(keys=(("k", "size"),)), "a key sets one of kernel_size"),
    (dict(keys=(("s", "stride"),)), "a kind needs a key for kernel_size"),
])
def test_bad_registrations(change, message):
    fields = {name: getattr(TRIM, name) for name in TRIM.__dataclass_fields__}
    with pytest.raises(ParameterError, match=message):
        register(LayerKind(**{**fields, **change}))
    assert "trim" not in [kind.name for kind in layer_kinds()]


def test_unknown_kinds():
    with pytest.raises(ParameterError, match="op must be a layer kind: conv, pool, tconv or upsample"):
        layer_kind("dense")
    with pytest.raises(ParameterError, match="op='dense'"):
        unregister("dense")
    with pytest.raises(ParameterError, match="expected a LayerKind"):
        register("conv")


# ---------------------------------------------------------------- per-axis sizes against the oracle


@st.composite
def per_axis_layers(draw, axes=2):
    word = draw(st.sampled_from(["conv", "pool", "tconv", "upsample"]))
    if word == "upsample":
        return Layer("upsample", tuple(draw(st.integers(1, 3)) for _ in range(axes)))
    k = tuple(draw(st.integers(1, 4)) for _ in range(axes))
    s = tuple(draw(st.integers(1, 3)) for _ in range(axes))
    d = tuple(draw(st.integers(1, 2)) for _ in range(axes))
    top = [k_ // 2 if word == "pool" else 2 for k_ in k]
    padding = tuple((draw(st.integers(0, t)), draw(st.integers(0, t))) for t in top)
    if word == "pool":
        return Layer("pool", k, s, padding, d, ceil_mode=draw(st.booleans()))
    if word == "tconv":
        return Layer("tconv", k, s, padding, d, tuple(draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d)))
    return Layer("conv", k, s, padding, d)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(per_axis_layers(), min_size=1, max_size=4).map(Stack), st.integers(1, 30), st.integers(1, 30))
def test_per_axis_sizes_match_the_oracle(stack, h, w):
    expected = []
    for axis, n in enumerate((h, w)):
        chain, found = n, []
        for layer in stack.layers:
            chain = layer.kind.oracle(layer.axis(axis), chain) if chain >= 1 else 0
            found.append(chain)
        expected.append(found)
    try:
        result = sizes(stack, (h, w))
    except ParameterError:
        assert any(min(found) < 1 for found in expected)
        return
    assert result == list(zip(*expected))
    symbolic = output_size(stack)
    assert [compile_expr(e, (i,))(n) for e, n in zip(symbolic, (h, w))] == list(result[-1])
    assert [output_size(stack.along(axis), n) for axis, n in enumerate((h, w))] == list(result[-1])
