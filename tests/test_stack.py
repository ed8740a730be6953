"""Stacks: parsing, composed sizes, receptive fields and alignment, against brute force."""

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sympy import ceiling, floor

from symconv import ParameterError, ParseError, SymconvError
from symconv.core import oracle
from symconv.core.numeric import compile_expr
from symconv.layers import (
    MAX_LAYERS, MAX_TEXT_LENGTH, InputSizes, Layer, Stack, aligned_inputs, exact_inputs, inputs_for_output,
    output_size, parse_stack, receptive_field, receptive_fields, same_size_inputs, simplification_steps,
    size_expressions, sizes, valid_input_sizes,
)
from symconv.core.printing import text
from symconv.core.symbols import i

# ---------------------------------------------------------------- networks

VGG16 = "; ".join(
    ["conv k=3 p=1"] * 2 + ["pool k=2"] + ["conv k=3 p=1"] * 2 + ["pool k=2"] + (["conv k=3 p=1"] * 3 + ["pool k=2"]) * 3
)


def resnet50(version: str) -> str:
    """The main path of ResNet-50; v1 strides the first 1x1 conv of a stage, v1.5 the 3x3."""

    def block(stride: int, tap: str) -> str:
        if version == "v1":
            return f"conv k=1 s={stride}; conv k=3 p=1; conv k=1{tap}"
        return f"conv k=1; conv k=3 s={stride} p=1; conv k=1{tap}"

    layers = ["conv k=7 s=2 p=3 @conv1", "pool k=3 s=2 p=1 @pool"]
    for name, blocks, stride in (("conv2", 3, 1), ("conv3", 4, 2), ("conv4", 6, 2), ("conv5", 3, 2)):
        layers += [block(stride if n == 0 else 1, f" @{name}" if n == blocks - 1 else "") for n in range(blocks)]
    return "; ".join(layers)


PADDED_UNET = (
    "conv k=3 p=1 @e1; pool k=2; conv k=3 p=1 @e2; pool k=2; conv k=3 p=1 @e3; pool k=2;"
    " conv k=3 p=1 @e4; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d4; conv k=3 p=1; tconv k=2 s=2 @d3;"
    " conv k=3 p=1; tconv k=2 s=2 @d2; conv k=3 p=1; tconv k=2 s=2 @d1 | e4=d4, e3=d3, e2=d2, e1=d1"
)
# Ronneberger et al. 2015: unpadded 3x3 convs, two per level, 2x2 pools and up-convs, a final 1x1.
ORIGINAL_UNET = "; ".join(
    ["conv k=3; conv k=3; pool k=2"] * 4 + ["conv k=3; conv k=3"] + ["tconv k=2 s=2; conv k=3; conv k=3"] * 4 + ["conv k=1"]
)

# ---------------------------------------------------------------- parsing

GOOD = [
    # (text, canonical text)
    ("conv k=3 s=2 p=1; pool k=2 s=2 ceil; tconv k=4 s=2 p=1 op=1",
     "conv k=3 s=2 p=1; pool k=2 ceil; tconv k=4 s=2 p=1 op=1"),
    ("  conv   k=3  ", "conv k=3"),
    ("conv k=3 p=0,1 d=2", "conv k=3 p=0,1 d=2"),
    ("pool k=3 s=1 p=1", "pool k=3 s=1 p=1"),
    ("pool k=2 s=2", "pool k=2"),
    ("conv k=3 p=1,1", "conv k=3 p=1"),
    ("conv k=3 @e1; tconv k=2 s=2 @d1 | e1 = d1", "conv k=3 @e1; tconv k=2 s=2 @d1 | e1=d1"),
    ("conv k=3 @a; conv k=1 @b | a=b, b=a", "conv k=3 @a; conv k=1 @b | a=b, b=a"),
    ("tconv k=3 s=1 d=2 op=1", "tconv k=3 d=2 op=1"),
]


@pytest.mark.parametrize("source, canonical", GOOD)
def test_parse_good(source, canonical):
    stack = parse_stack(source)
    assert str(stack) == canonical
    assert parse_stack(canonical) == stack


def test_parse_fields():
    stack = parse_stack("conv k=3 s=2 p=0,1 d=2 @x; pool k=2 ceil; tconv k=4 s=2 p=1 op=1 | x=x")
    conv, pool, tconv = stack.layers
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.tap) == (3, 2, (0, 1), 2, "x")
    assert (pool.stride, pool.ceil_mode) == (2, True)
    assert (tconv.op, tconv.output_padding) == ("transposed", 1)
    assert stack.pairs == (("x", "x"),)


BAD = [
    # (text, error, message)
    ("", ParseError, "empty stack"),
    ("   | a=b", ParseError, "empty stack"),
    ("conv k=3;", ParseError, "layer 2 is empty"),
    ("conv k=3;; conv k=3", ParseError, "layer 2 is empty"),
    ("conv k=3; cnv k=3", ParseError, "'cnv' at column 1: layer 2: unknown op"),
    ("Conv k=3", ParseError, "unknown op"),
    ("conv k=3 x=1", ParseError, "'x=1' at column 10: layer 1: unknown item"),
    ("conv k = 3", ParseError, "'k' at column 6: layer 1: unknown item"),
    ("conv s=2", ParseError, "layer 1: k= is required"),
    ("conv k=3 k=5", ParseError, "'k=5' .* k given twice"),
    ("pool k=2 ceil ceil", ParseError, "ceil given twice"),
    ("conv k=x", ParseError, "'k=x' .* expected an integer"),
    ("conv k=3.5", ParseError, "expected an integer"),
    ("conv k=", ParseError, "expected an integer"),
    ("conv k=٣", ParseError, "expected an integer"),  # a non-ASCII digit
    ("conv k=__import__('os')", ParseError, "expected an integer"),
    ("conv k=99999999", ParseError, "integers are at most 1000000"),
    ("conv k=3 p=1, 2", ParseError, "B,A without spaces"),
    ("conv k=3 p=1,2,3", ParseError, "one integer or two"),
    ("conv k=3 @1a", ParseError, "'@1a' .* a tap is '@' and an ASCII identifier"),
    ("conv k=3 @", ParseError, "a tap is"),
    ("conv k=3 | a", ParseError, "expected an alignment pair"),
    ("conv k=3 @a |", ParseError, "expected an alignment pair"),
    ("conv k=3 @a | a=b=c", ParseError, "expected an alignment pair"),
    ("conv k=3 @a | a=a | a=a", ParseError, "only one '|'"),
    ("conv k=3 p=1 scheme=half", ParseError, "give p= or scheme=, not both"),
    ("conv k=3 scheme=h@lf", ParseError, "a scheme is a name"),
    ("conv k=0", ParameterError, r"layer 1 k=0 is invalid: kernel_size must be a positive integer"),
    ("conv k=3; conv k=3 s=0", ParameterError, r"layer 2 s=0 is invalid: stride must be"),
    ("conv k=3 d=0", ParameterError, r"layer 1 d=0 is invalid"),
    ("conv k=3 p=-1", ParameterError, r"layer 1 p=-1 is invalid: padding\[0\] must be a nonnegative integer"),
    ("conv k=3 p=0,-2", ParameterError, r"layer 1 p=-2 is invalid"),
    ("tconv k=3 s=2 op=2", ParameterError, r"layer 1 op=2 is invalid: output_padding must be .* max\(stride, dilation\) = 2"),
    ("tconv k=3 op=1", ParameterError, r"layer 1 op=1 is invalid"),
    ("conv k=3 op=1", ParameterError, r"layer 1 op=1 is invalid: output padding applies to tconv layers only"),
    ("tconv k=3 ceil", ParameterError, r"layer 1 ceil=True is invalid: ceil mode applies to pool layers only"),
    ("pool k=2 p=2", ParameterError, r"layer 1 p=2 is invalid: pooling padding must be at most half"),
    ("conv k=3 @a; pool k=2 @a", ParameterError, r"layer 2 tap='a' is invalid: tap names must be unique; it is already on layer 1"),
    ("conv k=3 @a | a=b", ParameterError, r"pair 1='a=b' is invalid: 'b' is not a tap \(the taps: a\)"),
    ("conv k=3 | a=b", ParameterError, r"'a' is not a tap \(the taps: none\)"),
    ("conv k=3 scheme=no-such", ParameterError, r"layer 1 scheme='no-such' is invalid: no built-in scheme has that name"),
    ("conv k=1 " * 2000, ParseError, f"at most {MAX_TEXT_LENGTH} characters"),
    ("conv k=1;" * MAX_LAYERS + "conv k=1", ParseError, f"at most {MAX_LAYERS} layers"),
]


@pytest.mark.parametrize("source, error, message", BAD)
def test_parse_bad(source, error, message):
    with pytest.raises(error, match=message) as caught:
        parse_stack(source)
    assert "\n" not in str(caught.value)


def test_python_api_errors_name_the_layer():
    with pytest.raises(ParameterError, match="a stack needs at least one layer"):
        Stack(())
    with pytest.raises(ParameterError, match="layer 2 op='dense' is invalid"):
        Stack([Layer("conv", 3), Layer("dense", 3)])
    with pytest.raises(ParameterError, match="layer 1 tap='e-1' is invalid"):
        Stack([Layer("conv", 3, tap="e-1")])


# ---------------------------------------------------------------- symbolic sizes


def test_floor_identity_by_enumeration():
    # floor((floor(x/a) + b)/c) = floor((x + a*b)/(a*c)) for integer x, b and positive integers a, c.
    for a in range(1, 7):
        for c in range(1, 7):
            for b in range(-6, 7):
                for x in range(-60, 61):
                    assert (x // a + b) // c == (x + a * b) // (a * c)


COLLAPSE = [
    # (stack, the output size)
    ("pool k=2; pool k=2", floor(i / 4)),
    ("pool k=2; conv k=3 p=1; pool k=2; conv k=3 p=1; pool k=2", floor(i / 8)),
    ("conv k=3 s=2 p=1; conv k=3 s=2 p=1", floor((i - 1) / 4) + 1),
    ("conv k=3 s=2; conv k=3 s=3", floor((i - 7) / 6) + 1),
    ("pool k=2 ceil; pool k=2 ceil", floor((i + 3) / 4)),
    ("pool k=2; tconv k=2 s=2; pool k=2", floor(i / 2)),
    ("conv k=1", i),
    ("tconv k=4 s=2 p=1", 2 * i),
]


@pytest.mark.parametrize("source, expected", COLLAPSE)
def test_nested_floors_collapse(source, expected):
    size = output_size(parse_stack(source))
    found, wanted = compile_expr(size, (i,)), compile_expr(expected, (i,))
    assert all(found(n) == wanted(n) for n in range(1, 200))
    assert len(size.atoms(floor, ceiling)) <= 1


def test_five_stride_two_layers_are_one_floor():
    stack = parse_stack("conv k=3 s=2 p=1; pool k=2; conv k=3 p=1; pool k=3 s=2 p=1; conv k=5 s=2 p=2; pool k=2")
    size = output_size(stack)
    assert len(size.atoms(floor, ceiling)) == 1
    check = compile_expr(size, (i,))
    assert all(check(n) == sizes(stack, n)[-1] for n in range(64, 300))


def test_per_axis_and_numeric_output_size():
    h, w = sympy.symbols("h w", integer=True, positive=True)
    stack = parse_stack("conv k=7 s=2 p=3; pool k=3 s=2 p=1")
    assert output_size(stack, (h, w)) == (output_size(stack, h), output_size(stack, w))
    assert output_size(stack, 224) == 56 and output_size(stack, (224, 160)) == (56, 40)
    assert sizes(stack, (224, 160)) == [(112, 80), (56, 40)]


def test_asymmetric_padding_per_axis():
    stack = parse_stack("conv k=2 p=0,1")
    assert sizes(stack, (4, 5)) == [(4, 5)]


def test_sizes_name_the_first_failing_layer():
    with pytest.raises(ParameterError, match=r"layer 3 \(conv k=3\) input_size=2 is invalid: no kernel position fits"):
        sizes(parse_stack("conv k=3; pool k=2; conv k=3"), 6)
    with pytest.raises(ParameterError, match=r"layer 1 \(tconv k=1 p=1\) padding=\(1, 1\) is invalid"):
        sizes(parse_stack("tconv k=1 p=1"), 2)


# ---------------------------------------------------------------- known networks

VGG_FIELDS = [
    # (layer, index, receptive field, effective stride, effective padding); Araujo et al. 2019
    ("conv1_1", 0, 3, 1, 1),
    ("conv1_2", 1, 5, 1, 2),
    ("pool1", 2, 6, 2, 2),
    ("pool2", 5, 16, 4, 6),
    ("pool3", 9, 44, 8, 18),
    ("conv4_3", 12, 92, 8, 42),
    ("pool4", 13, 100, 16, 42),
    ("conv5_3", 16, 196, 16, 90),
    ("pool5", 17, 212, 32, 90),
]


@pytest.mark.parametrize("name, index, size, stride, padding", VGG_FIELDS)
def test_vgg16_receptive_fields(name, index, size, stride, padding):
    found = receptive_fields(parse_stack(VGG16))[index]
    assert (found.size, found.stride, found.padding) == (size, stride, padding)
    assert found.offset == Fraction(size - 1, 2) - padding


def test_vgg16_sizes():
    assert sizes(parse_stack(VGG16), 224)[-1] == 7
    assert output_size(parse_stack(VGG16)) == floor(i / 32)


RESNET_STAGES = [("conv1", 112), ("pool", 56), ("conv2", 56), ("conv3", 28), ("conv4", 14), ("conv5", 7)]


@pytest.mark.parametrize("version", ["v1", "v1.5"])
@pytest.mark.parametrize("tap, size", RESNET_STAGES)
def test_resnet50_stage_sizes(version, tap, size):
    stack = parse_stack(resnet50(version))
    assert len(stack.layers) == 2 + 3 * 16
    assert sizes(stack, 224)[stack.tap_index(tap)] == size


def test_resnet50_output_size_formula():
    stack = parse_stack(resnet50("v1.5"))
    check = compile_expr(output_size(stack), (i,))
    assert all(check(n) == sizes(stack, n)[-1] for n in range(32, 600))
    assert receptive_field(stack).stride == 32


def test_padded_unet_aligns_exactly_mod_16():
    stack = parse_stack(PADDED_UNET)
    decision = aligned_inputs(stack)
    assert str(decision.answer) == "i ≡ 0 (mod 16), i ≥ 16"
    assert decision.answer == InputSizes(16, (0,), 16)
    assert 176 in decision.answer and 178 not in decision.answer
    assert decision.answer.smallest_at_least(89) == 96
    assert output_size(stack) == 16 * floor(i / 16)
    assert str(same_size_inputs(stack)) == "i ≡ 0 (mod 16), i ≥ 16"
    # The issue: 89 floors to 44 on the way down and comes back as 88.
    found = sizes(stack, 89)
    assert (found[stack.tap_index("e1")], found[stack.tap_index("d1")]) == (89, 80)
    assert (found[stack.tap_index("e2")], found[stack.tap_index("d2")]) == (44, 40)


def test_padded_unet_decision_record():
    decision = aligned_inputs(parse_stack(PADDED_UNET))
    assert decision.modulus == 16 and decision.minimum == 16 and len(decision.cases) == 16
    m = sympy.Symbol("m", integer=True, nonnegative=True)
    for case in decision.cases:
        assert case.substitution == sympy.Eq(i, 16 * m + case.residue)
        assert len(case.conditions) == 4
        for condition in case.conditions:
            difference = sympy.expand(condition.lhs - condition.rhs)
            assert difference.free_symbols <= {m} and sympy.degree(difference, m) <= 1
        assert case.verdict == ("always" if case.residue == 0 else "never")
    assert decision.checked[0] == 1 and decision.checked[1] >= 4 * 16 + 16 + 50
    assert "i" in str(decision.conditions[0].free_symbols)


def test_original_unet_572_gives_388():
    stack = parse_stack(ORIGINAL_UNET)
    assert sizes(stack, 572)[-1] == 388
    assert compile_expr(output_size(stack), (i,))(572) == 388
    assert str(valid_input_sizes(stack)) == "i ≥ 188"
    # Every 2x2 pooling sees an even size: a sparse residue class, 572 among it.
    exact = exact_inputs(stack).answer
    assert str(exact) == "i ≡ 12 (mod 16), i ≥ 188"
    assert 572 in exact and 570 not in exact


def test_valid_input_sizes_says_why_the_size_below_fails():
    decision = valid_input_sizes(parse_stack("conv k=3; conv k=3; pool k=2"))
    assert decision.minimum == 6
    assert decision.below_minimum.startswith("layer 3 (pool k=2) input_size=1 is invalid")
    assert valid_input_sizes(parse_stack("conv k=1")).below_minimum is None


DECISIONS = [
    # (query, stack, answer)
    (same_size_inputs, "conv k=3 p=1", "i ≥ 1"),
    (same_size_inputs, "conv k=3 s=2 p=1", "i = 1"),
    (same_size_inputs, "conv k=3", "no input size"),
    (same_size_inputs, "conv k=3 s=2 p=1; tconv k=3 s=2 p=1", "i ≡ 1 (mod 2), i ≥ 1"),
    (same_size_inputs, "conv k=3 s=2 p=1; tconv k=3 s=2 p=1 op=1", "i ≡ 0 (mod 2), i ≥ 2"),
    (same_size_inputs, "pool k=2; conv k=3 s=3; tconv k=6 s=6", "i ≡ 0 (mod 6), i ≥ 6"),
    (valid_input_sizes, "conv k=5 d=2; pool k=2", "i ≥ 10"),
    (valid_input_sizes, "pool k=3 s=2 ceil", "i ≥ 2"),
    (exact_inputs, "conv k=3 s=2 p=1", "i ≡ 1 (mod 2), i ≥ 1"),
    (exact_inputs, "pool k=2 ceil", "i ≡ 0 (mod 2), i ≥ 2"),
    (exact_inputs, "conv k=3 p=1", "i ≥ 1"),
]


@pytest.mark.parametrize("query, source, answer", DECISIONS)
def test_decisions(query, source, answer):
    assert str(query(parse_stack(source))) == answer


OUTPUTS = [
    # (stack, target, answer)
    ("conv k=3 s=2 p=1", 112, "i ∈ {223, 224}"),
    ("conv k=7 s=2 p=3; pool k=3 s=2 p=1", 56, "i ∈ {221, 222, 223, 224}"),
    ("pool k=2; pool k=2", 1, "i ∈ {4, 5, 6, 7}"),
    ("tconv k=4 s=2 p=1", 7, "no input size"),
    ("conv k=3", 1, "i = 3"),
]


@pytest.mark.parametrize("source, target, answer", OUTPUTS)
def test_inputs_for_output(source, target, answer):
    assert str(inputs_for_output(parse_stack(source), target)) == answer


def test_aligned_inputs_needs_pairs():
    with pytest.raises(ParameterError, match="needs alignment pairs"):
        aligned_inputs(parse_stack("conv k=3"))


def test_too_many_residue_classes_are_refused():
    with pytest.raises(ParameterError, match="period=8192 is invalid"):
        same_size_inputs(parse_stack("; ".join(["pool k=2"] * 13)))


INPUT_SIZES = [
    # (InputSizes, text, members, non-members, smallest at least 10)
    (InputSizes(16, (0,), 16), "i ≡ 0 (mod 16), i ≥ 16", [16, 32], [0, 15, 17], 16),
    (InputSizes(1, (0,), 3), "i ≥ 3", [3, 10], [1, 2], 10),
    (InputSizes(4, (1, 3), 5), "i ≡ 1, 3 (mod 4), i ≥ 5", [5, 7, 9], [1, 3, 6], 11),
    (InputSizes(1, (), 1, (223, 224)), "i ∈ {223, 224}", [223, 224], [222, 225], 223),
    (InputSizes(12, (0, 1), 12, (6,)), "i ≡ 0, 1 (mod 12), i ≥ 12; or i = 6", [6, 12, 13], [7, 1, 0], 12),
    (InputSizes(1, (), 1), "no input size", [], [1, 2], None),
]


@pytest.mark.parametrize("sizes_, text_, members, others, smallest", INPUT_SIZES)
def test_input_sizes(sizes_, text_, members, others, smallest):
    assert str(sizes_) == text_
    assert all(n in sizes_ for n in members) and not any(n in sizes_ for n in others)
    assert sizes_.smallest_at_least(10) == smallest


# ---------------------------------------------------------------- receptive fields


def test_transposed_closed_form_when_s_divides_k():
    # r' = r + (k/s - 1) j and j' = j/s when d = 1 and s | k.
    for k_, s_ in ((2, 2), (4, 2), (6, 3), (3, 3), (4, 1)):
        before, after = receptive_fields(parse_stack(f"conv k=3 s=2; conv k=5 s=3; tconv k={k_} s={s_}"))[1:]
        assert after.size == before.size + (k_ // s_ - 1) * before.stride
        assert after.stride == Fraction(before.stride, s_)


def test_transposed_regions_repeat():
    field_ = receptive_field(parse_stack("tconv k=3 s=2"))
    # Output y takes input x through tap t when 2x + t = y: even outputs see
    # two inputs (output 0 sees input -1, which does not exist), odd ones one.
    assert field_.regions == ((-1, 0), (0, 0))
    assert field_.size == 2 and field_.stride == Fraction(1, 2) and field_.offset == Fraction(-1, 2)
    assert [field_.region(y) for y in range(4)] == [(-1, 0), (0, 0), (0, 1), (1, 1)]
    gappy = receptive_field(parse_stack("tconv k=1 s=2"))
    assert gappy.region(0) == (0, 0) and gappy.region(1) is None and gappy.region(5) is None


# ---------------------------------------------------------------- brute force


def brute_force(stack: Stack, n: int):
    """Walk the oracle's connectivity matrices through the stack.

    Returns the sizes, the composed boolean matrix (outputs x inputs) and the
    output units that see every tap of every layer on real, clean units (so
    their regions are whole), or None when a layer has no output.
    """
    joined, clean, found = np.eye(n, dtype=np.int64), np.ones(n, dtype=bool), []
    for layer in stack.layers:
        k, s, (left, right), d = layer.kernel_size, layer.stride, layer.padding, layer.dilation
        if layer.op == "transposed":
            # Scatter every input through every tap, crop, add the output padding.
            full = int((s * np.arange(n)[:, None] + d * np.arange(k)[None, :]).max()) + 1
            out = full - left - right + layer.output_padding
            if out < 1:
                return None
            matrix = oracle.connectivity(out, k, s, (left, right), d)[:n].T
            taps = np.array([sum((y + left - d * t) % s == 0 for t in range(k)) for y in range(out)])
        elif layer.op == "pool":
            out = oracle.count_pool_windows(n, k, s, (left, right), d, layer.ceil_mode)
            matrix = oracle.connectivity(n, k, s, (left, right + s), d)[:out]
            taps = k
        else:
            matrix = oracle.connectivity(n, k, s, (left, right), d)
            out, taps = len(matrix), k
        if out < 1:
            return None
        real = matrix >= 0
        clean = (real.sum(axis=1) == taps) & ~(real & ~clean[None, :]).any(axis=1)
        joined = ((real.astype(np.int64) @ joined) > 0).astype(np.int64)
        found.append(out)
        n = out
    return found, joined.astype(bool), clean


@st.composite
def layers(draw, max_stride=3):
    op = draw(st.sampled_from(["conv", "pool", "tconv"]))
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, max_stride)), draw(st.integers(1, 2))
    if op == "pool":
        padding = (draw(st.integers(0, k // 2)), draw(st.integers(0, k // 2)))
        return Layer("pool", k, s, padding, d, ceil_mode=draw(st.booleans()))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    if op == "tconv":
        return Layer("tconv", k, s, padding, d, draw(st.integers(0, max(s, d) - 1)))
    return Layer("conv", k, s, padding, d)


stacks = st.lists(layers(), min_size=2, max_size=6).map(Stack)


def run(stack: Stack, n: int):
    try:
        return sizes(stack, n)
    except ParameterError:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks)
def test_symbolic_sizes_match_sizes_and_the_oracle(stack):
    expressions = [compile_expr(e, (i,)) for e in size_expressions(stack)]
    for n in range(1, 25):
        found = run(stack, n)
        assert found is None or [e(n) for e in expressions] == found
        if found is None or max(found) <= 1500:
            brute = brute_force(stack, n)
            assert (brute is None) == (found is None)
            assert brute is None or brute[0] == found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks, st.integers(12, 40))
def test_receptive_field_matches_interval_propagation(stack, n):
    found = run(stack, n)
    assume(found is not None and max(found) <= 1500)
    field_ = receptive_field(stack)
    _, joined, clean = brute_force(stack, n)
    for unit in np.flatnonzero(clean):
        inputs = np.flatnonzero(joined[unit])
        expected = (int(inputs.min()), int(inputs.max())) if len(inputs) else None
        assert field_.region(int(unit)) == expected
        assert expected is None or expected[1] - expected[0] + 1 <= field_.size
    if all(layer.op != "transposed" for layer in stack.layers):
        for unit in np.flatnonzero(clean):
            first = unit * field_.stride - field_.padding
            assert field_.region(int(unit)) == (first, first + field_.size - 1)
            assert sum(field_.region(int(unit))) / 2 == field_.offset + unit * field_.stride


@settings(max_examples=100, deadline=None)
@given(st.lists(layers().filter(lambda layer: layer.op != "transposed"), min_size=1, max_size=6).map(Stack))
def test_receptive_field_follows_the_recurrences(stack):
    r, j, start, padding = 1, 1, Fraction(0), 0  # Araujo et al. 2019, in input indices
    for layer, field_ in zip(stack.layers, receptive_fields(stack)):
        k, s, d, before = layer.kernel_size, layer.stride, layer.dilation, layer.padding[0]
        r, start, padding, j = r + d * (k - 1) * j, start + (Fraction(d * (k - 1), 2) - before) * j, padding + before * j, j * s
        assert (field_.size, field_.stride, field_.padding, field_.offset) == (r, j, padding, start)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layers(max_stride=2), min_size=2, max_size=5).map(Stack))
def test_decisions_match_enumeration(stack):
    same, exact = same_size_inputs(stack), exact_inputs(stack)
    for n in range(1, 80):
        found = run(stack, n)
        assert (n in same.answer) == (found is not None and found[-1] == n)
        assert (n in exact.answer) <= (found is not None)


@settings(max_examples=60, deadline=None)
@given(st.lists(layers(), min_size=1, max_size=5), st.data())
def test_text_round_trip(layers_, data):
    tapped = [Layer(**{**layer.__dict__, "tap": f"t{n}"}) if data.draw(st.booleans()) else layer
              for n, layer in enumerate(layers_)]
    taps = [layer.tap for layer in tapped if layer.tap]
    pairs = [(a, b) for a, b in zip(taps, reversed(taps))]
    stack = Stack(tapped, pairs)
    assert parse_stack(str(stack)) == stack


def test_internal_check_catches_a_wrong_answer(monkeypatch):
    import symconv.layers.alignment as module

    monkeypatch.setattr(module, "_input_sizes", lambda modulus, residues, minimum, isolated: InputSizes(1, (0,), 1))
    with pytest.raises(SymconvError, match="internal error: o = i decided i ≥ 1 but i = 1 disagrees"):
        same_size_inputs(parse_stack("conv k=3"))


def test_long_periods_are_refused():
    with pytest.raises(ParameterError, match=r"layer 3 \(tconv k=2 s=64\) s=64 is invalid: receptive fields would repeat with period 262144, more than 4096"):
        receptive_field(parse_stack("tconv k=2 s=64; tconv k=2 s=64; tconv k=2 s=64"))
    with pytest.raises(ParameterError, match="no layer of the stack carries this tap"):
        parse_stack("conv k=3 @a").tap_index("b")


SCHEMED = [
    # (stack, input size, sizes): schemes resolve per layer as sizes flow
    ("conv k=3 scheme=tf-same; conv k=4 s=2 scheme=tf-same", 9, [9, 5]),
    ("conv k=4 s=2 scheme=onnx-same-lower; pool k=2", 9, [5, 2]),
    ("conv k=3 scheme=half; conv k=3 scheme=causal; conv k=3 scheme=full", 7, [7, 7, 9]),
]


@pytest.mark.parametrize("spec, size, expected", SCHEMED)
def test_schemes_in_stacks(spec, size, expected):
    net = parse_stack(spec)
    assert sizes(net, size) == expected
    symbolic = output_size(net)
    for n in range(4, 40):
        assert symbolic.subs(i, n) == sizes(net, n)[-1]


@pytest.mark.parametrize("spec, message", [
    ("conv k=4 s=2 scheme=torch-same", r"layer 1 scheme='torch-same' is invalid: it needs s = 1"),
    ("conv k=4 scheme=half", r"layer 1 scheme='half' is invalid: it needs k mod 2 = 1"),
    ("pool k=2 ceil scheme=pool-ceil", r"it declares parameters \(p\)"),
])
def test_schemes_in_stacks_refused(spec, message):
    with pytest.raises(ParameterError, match=message):
        output_size(parse_stack(spec))


def test_input_dependent_scheme_has_a_fixed_field_and_stride_and_padding_that_follows_the_input():
    field = receptive_field(parse_stack("conv k=3 s=2 scheme=tf-same"))
    assert (field.size, field.stride) == (3, 2) and field.padding.has(i)
    with pytest.raises(ParameterError, match="after up-sampling"):
        receptive_field(parse_stack("upsample f=2; conv k=3 s=2 scheme=tf-same"))
    assert receptive_field(parse_stack("conv k=3 scheme=half; conv k=3 scheme=causal")).size == 5


@pytest.mark.parametrize("spec", [
    "pool k=1 s=2 ceil; pool k=2 s=1 ceil",  # sympy flattens the two mins: the exact min must stay
    "conv k=1 p=0,1; pool k=1 s=2 ceil; pool k=2 s=1 ceil",
    "pool k=2 ceil; pool k=2 ceil; pool k=3 s=2 p=1 ceil",
])
def test_ceil_mode_chains_stay_exact(spec):
    net = parse_stack(spec)
    expressions = size_expressions(net)
    for n in range(1, 60):
        try:
            expected = sizes(net, n)
        except ParameterError:
            continue
        assert [e.subs(i, n) for e in expressions] == expected


# ---------------------------------------------------------------- per-axis layers

PER_AXIS_GOOD = [
    # (text, canonical text, axes)
    ("conv k=3,1", "conv k=3,1", 2),
    ("conv k=3,1 s=2,1 d=1,2", "conv k=3,1 s=2,1 d=1,2", 2),
    ("conv k=3,1 p=1:1,0:0", "conv k=3,1 p=1:1,0:0", 2),
    ("conv k=3 p=1:2,0:1", "conv k=3 p=1:2,0:1", 2),
    ("conv k=3 p=0:1", "conv k=3 p=0,1", None),  # B:A on every axis; B,A is its one-axis spelling
    ("conv k=3,1 p=0:1", "conv k=3,1 p=0:1", 2),
    ("conv k=3,1 p=1", "conv k=3,1 p=1", 2),
    ("conv k=3,3 p=1:1", "conv k=3,3 p=1", 2),
    ("pool k=2,1", "pool k=2,1", 2),  # the stride defaults to the kernel size, per axis
    ("pool k=2,2 s=2 ceil", "pool k=2,2 s=2 ceil", 2),
    ("tconv k=4,1 s=2,1 p=1:1,0:0 op=1,0", "tconv k=4,1 s=2,1 p=1:1,0:0 op=1,0", 2),
    ("transposed k=2 s=2", "tconv k=2 s=2", None),
    ("upsample f=2,1", "upsample f=2,1", 2),
    ("conv k=3,1,1", "conv k=3,1,1", 3),
    ("conv k=3,1; conv k=3 @a; pool k=2 @b | a=b", "conv k=3,1; conv k=3 @a; pool k=2 @b | a=b", 2),
]


@pytest.mark.parametrize("source, canonical, axes", PER_AXIS_GOOD)
def test_parse_per_axis(source, canonical, axes):
    stack = parse_stack(source)
    assert str(stack) == canonical and stack.axes == axes
    assert parse_stack(canonical) == stack


def test_per_axis_fields():
    conv, up = parse_stack("conv k=3,1 s=2,1 p=1:2,0:0 d=1,2; upsample f=2,1").layers
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation) == ((3, 1), (2, 1), ((1, 2), (0, 0)), (1, 2))
    assert conv.along(1) == Layer("conv", 1, 1, 0, 2)
    assert (up.op, up.kernel_size, up.stride) == ("upsample", (2, 1), (2, 1))


PER_AXIS_BAD = [
    # (text, error, message)
    ("conv k=3,1 s=2,1,1", ParseError,
     "layer 1: s has 3 values but k has 2: give one value per axis, or one for all axes"),
    ("conv k=3,1 p=1:1,0:0,2:2", ParseError, "p has 3 values but k has 2"),
    ("conv k=3,1 p=1,0", ParseError,
     r"'p=1,0' at column 12: layer 1: p=1,0 is ambiguous in a layer with per-axis values:"
     r" write p=1:0 for 1 before and 0 after on every axis, or one B:A per axis like p=1:1,0:0"),
    ("conv k=3 s=2,1 p=0,1", ParseError, "p=0,1 is ambiguous"),
    ("conv k=3 p=1:1,0", ParseError, "expected B:A for every axis, like p=1:1,0:1"),
    ("conv k=3 p=1:2:3", ParseError, "expected B:A for every axis"),
    ("conv k=3 p=1:x", ParseError, "expected B:A with integers B and A"),
    ("conv k=3 p=:1", ParseError, "expected B:A with integers B and A"),
    ("conv k=3,", ParseError, "'k=3,' .* expected an integer, or one integer per axis like k=3,1"),
    ("conv k=3,,1", ParseError, "expected an integer"),
    ("conv k=3, 1", ParseError, "expected an integer"),
    ("conv k=3,1; conv k=3,1,1", ParameterError,
     r"layer 2='conv k=3,1,1' is invalid: it has 3 axes, but layer 1 has 2"),
    ("conv k=3,0", ParameterError, r"layer 1 axis 1 k=0 is invalid: kernel_size must be a positive integer"),
    ("conv k=3,1 p=-1:0,0:0", ParameterError,
     r"layer 1 axis 0 p=-1 is invalid: padding\[0\] must be a nonnegative integer"),
    ("pool k=2,1 p=1", ParameterError, r"layer 1 axis 1 p=1 is invalid: pooling padding must be at most half"),
    ("tconv k=3,3 s=2,1 op=0,1", ParameterError, r"layer 1 axis 1 op=1 is invalid: output_padding must be"),
    ("conv k=3,1 op=0,1", ParameterError,
     r"layer 1 op=\(0, 1\) is invalid: output padding applies to tconv layers only"),
]


@pytest.mark.parametrize("source, error, message", PER_AXIS_BAD)
def test_parse_per_axis_bad(source, error, message):
    with pytest.raises(error, match=message) as caught:
        parse_stack(source)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("layers_, message", [
    ([Layer("conv", (3, 1), stride=(2, 1, 1))], r"layer 1 s=\(2, 1, 1\) is invalid: s has 3 values but k has 2"),
    ([Layer("conv", 3, padding=(1, 2, 3))],
     r"padding is P, \(before, after\), or one \(before, after\) pair per axis"),
    ([Layer("conv", 3, padding=((1, 2, 3), (0, 0)))], "one \\(before, after\\) pair per axis"),
])
def test_python_per_axis_errors(layers_, message):
    with pytest.raises(ParameterError, match=message):
        Stack(layers_)


def test_per_axis_sizes():
    net = parse_stack("conv k=7,5 s=2 p=3:3,2:2; pool k=3 s=2 p=1")
    assert sizes(net, (224, 160)) == [(112, 80), (56, 40)]
    assert sizes(net, 224) == [(112, 112), (56, 56)]  # one size holds on every axis
    assert output_size(net, (224, 160)) == (56, 40)
    assert output_size(net) == (output_size(net.along(0)), output_size(net.along(1)))
    with pytest.raises(ParameterError, match=r"input_size=\(224, 160, 3\) is invalid: the stack has 2 axes"):
        sizes(net, (224, 160, 3))
    with pytest.raises(ParameterError,
                       match=r"layer 1 \(conv k=3,5\) axis 1 input_size=4 is invalid: no kernel position fits"):
        sizes(parse_stack("conv k=3,5"), (5, 4))
    with pytest.raises(ParameterError, match="axes=2 is invalid: this works on one axis at a time"):
        valid_input_sizes(net)
    with pytest.raises(ParameterError, match="axes=2 is invalid"):
        receptive_field(net)
    assert str(valid_input_sizes(net.along(1))) == "i ≥ 1"


# ---------------------------------------------------------------- ceilings preferred


def test_ceiling_identity_by_enumeration():
    # floor((G + t)/c) = ceil(G/c) + (t + 1)/c - 1 for integers G, t and c > 0 with c | t + 1.
    for c in range(1, 13):
        for t in (t for t in range(-40, 41) if (t + 1) % c == 0):
            for g in range(-60, 61):
                assert (g + t) // c == -(-g // c) + (t + 1) // c - 1


CEILINGS = [
    # (stack, the output size as printed)
    ("; ".join(["conv k=3 s=2 p=1"] * 5), "⌈i/32⌉"),
    ("; ".join(["conv k=3 s=2 p=1"] * 4 + ["tconv k=2 s=2"] * 4), "16⌈i/16⌉"),
    ("pool k=2 ceil; pool k=2 ceil", "⌈i/4⌉"),
    ("conv k=3 s=2", "⌈i/2⌉ - 1"),
    ("pool k=2; pool k=2", "⌊i/4⌋"),
    ("pool k=1 s=3 ceil", "min(⌈i/3 - 1/3⌉, ⌊i/3 - 1/3⌋) + 1"),  # the last-window rule stays as written
]


@pytest.mark.parametrize("source, expected", CEILINGS)
def test_ceilings_preferred(source, expected):
    net = parse_stack(source)
    size = output_size(net)
    assert text(size) == expected
    check = compile_expr(size, (i,))
    assert all(check(n) == sizes(net, n)[-1] for n in range(valid_input_sizes(net).minimum, 200))


def test_ceiling_step_is_narrated():
    steps = simplification_steps(parse_stack("conv k=3 s=2 p=1"))
    assert [text(step.statement) for step in steps] == ["o_1 = ⌊i/2 - 1/2⌋ + 1", "o_1 = ⌈i/2⌉"]
    assert "written as a ceiling" in steps[-1].justification
