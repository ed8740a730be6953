"""Shape functions: tables of cases, bad input, symbolic input, N-D."""

import pytest
import sympy

import symconv
from symconv import ParameterError, SymconvError, conv_output_size, pool_output_size, transposed_output_size
from symconv.core.symbols import d, i, k, p, s

CONV = [
    # (input_size, kernel_size, stride, padding, dilation, expected)
    (224, 7, 2, 3, 1, 112),  # ResNet stem
    (4, 3, 1, 0, 1, 2),  # guide Figure 2.1
    (5, 4, 1, 2, 1, 6),  # Figure 2.2
    (5, 3, 1, 1, 1, 5),  # Figure 2.3, half padding
    (5, 3, 1, 2, 1, 7),  # Figure 2.4, full padding
    (5, 3, 2, 0, 1, 2),  # Figure 2.5
    (5, 3, 2, 1, 1, 3),  # Figure 2.6
    (6, 3, 2, 1, 1, 3),  # Figure 2.7: same output as 2.6
    (7, 3, 1, 0, 2, 3),  # Figure 5.1, dilation 2
    (10, 3, 3, (2, 0), 1, 4),  # asymmetric padding
    (1, 1, 1, 0, 1, 1),
]


@pytest.mark.parametrize("i_, k_, s_, p_, d_, expected", CONV)
def test_conv_table(i_, k_, s_, p_, d_, expected):
    assert conv_output_size(i_, kernel_size=k_, stride=s_, padding=p_, dilation=d_) == expected


POOL = [
    # (input_size, kernel_size, stride, padding, ceil_mode, expected)
    (5, 3, 1, 0, False, 3),  # guide Figure 1.5/1.6
    (5, 2, None, 0, False, 2),  # stride defaults to the kernel size
    (5, 2, None, 0, True, 3),
    (6, 2, 2, 1, True, 4),
    (112, 3, 2, 1, False, 56),  # ResNet max pool
    (7, 2, 2, 0, True, 4),
    # ceil mode drops a last window that would start in the right padding:
    # i=4, k=2, s=2, p=1: ceil((4 + 2 - 2)/2) + 1 = 3, the third window starts at 4 = i + p_l.
    (4, 2, 2, 1, True, 3),
    (5, 3, 3, 1, True, 2),  # the ceil window would start at 6 = i + p_l: dropped
    (2, 3, 2, 0, True, 1),  # ceil mode: one partial window, as PyTorch allows
]


@pytest.mark.parametrize("i_, k_, s_, p_, ceil, expected", POOL)
def test_pool_table(i_, k_, s_, p_, ceil, expected):
    assert pool_output_size(i_, kernel_size=k_, stride=s_, padding=p_, ceil_mode=ceil) == expected


TRANSPOSED = [
    # (input_size, kernel_size, stride, padding, dilation, output_padding, expected)
    (2, 3, 1, 0, 1, 0, 4),  # Figure 4.1
    (6, 4, 1, 2, 1, 0, 5),  # Figure 4.2
    (2, 3, 2, 0, 1, 0, 5),  # Figure 4.5
    (3, 3, 2, 1, 1, 0, 5),  # Figure 4.6
    (3, 3, 2, 1, 1, 1, 6),  # Figure 4.7: a = 1
    (3, 3, 1, 0, 2, 1, 8),  # PyTorch allows output_padding < dilation
    (88, 2, 2, 0, 1, 0, 176),
]


@pytest.mark.parametrize("i_, k_, s_, p_, d_, a_, expected", TRANSPOSED)
def test_transposed_table(i_, k_, s_, p_, d_, a_, expected):
    got = transposed_output_size(i_, kernel_size=k_, stride=s_, padding=p_, dilation=d_, output_padding=a_)
    assert got == expected


def test_int_in_int_out():
    assert type(conv_output_size(9, 3)) is int
    assert type(transposed_output_size(9, 3)) is int


def test_sympy_in_expression_out():
    got = conv_output_size(i, kernel_size=k, stride=s, padding=p, dilation=d)
    assert isinstance(got, sympy.Expr)
    assert sympy.simplify(got - (sympy.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1)) == 0
    assert got.subs({i: 224, k: 7, s: 2, p: 3, d: 1}) == 112


def test_sympy_integer_values_give_numbers():
    assert conv_output_size(sympy.Integer(5), 3) == 3


@pytest.mark.parametrize("k_, s_, p_, d_", [(3, 2, 1, 1), (2, 2, 1, 1), (3, 3, 1, 1), (4, 3, 2, 1), (2, 3, 1, 2), (5, 4, 2, 1)])
def test_symbolic_ceil_mode_is_exact(k_, s_, p_, d_):
    expr = pool_output_size(i, kernel_size=k_, stride=s_, padding=p_, dilation=d_, ceil_mode=True)
    for size in range(1, 40):
        try:
            expected = pool_output_size(size, kernel_size=k_, stride=s_, padding=p_, dilation=d_, ceil_mode=True)
        except ParameterError:
            continue
        assert expr.subs(i, size) == expected


def test_n_d_per_axis():
    assert conv_output_size((224, 160), kernel_size=(7, 5), stride=2, padding=(3, 2)) == (112, 80)
    assert conv_output_size((10, 10), kernel_size=3, padding=((1, 1), (0, 2))) == (10, 10)
    assert pool_output_size((5, 6), kernel_size=2, ceil_mode=True) == (3, 3)
    assert transposed_output_size((3, 4), kernel_size=3, stride=(2, 1), padding=1, output_padding=(1, 0)) == (6, 4)


BAD = [
    (conv_output_size, dict(input_size=5, kernel_size=3, stride=0), r"stride=0 is invalid: stride must be a positive integer"),
    (conv_output_size, dict(input_size=5, kernel_size=3, stride=-2), r"stride=-2 is invalid"),
    (conv_output_size, dict(input_size=5, kernel_size=3, dilation=0), r"dilation=0 is invalid: dilation must be a positive integer"),
    (conv_output_size, dict(input_size=-5, kernel_size=3), r"input_size=-5 is invalid: input_size must be a positive integer"),
    (conv_output_size, dict(input_size=5, kernel_size=0), r"kernel_size=0 is invalid"),
    (conv_output_size, dict(input_size=5, kernel_size=3, padding=-1), r"padding=-1 is invalid: padding must be a nonnegative integer"),
    (conv_output_size, dict(input_size=5, kernel_size=3, padding=(0, -1)), r"padding\[1\]=-1 is invalid"),
    (conv_output_size, dict(input_size=5, kernel_size=3, padding=(0, 1, 2)), r"padding=\(0, 1, 2\) is invalid"),
    (conv_output_size, dict(input_size=5.0, kernel_size=3), r"input_size=5.0 is invalid: input_size must be a positive integer"),
    (conv_output_size, dict(input_size="5", kernel_size=3), r"input_size='5' is invalid"),
    (conv_output_size, dict(input_size=True, kernel_size=3), r"input_size=True is invalid"),
    (conv_output_size, dict(input_size=2, kernel_size=3, dilation=2), r"input_size=2 is invalid: no kernel position fits"),
    (conv_output_size, dict(input_size=(5, 5), kernel_size=(3, 3, 3)), r"kernel_size=\(3, 3, 3\) is invalid: kernel_size must have one entry per axis \(2\)"),
    (pool_output_size, dict(input_size=1, kernel_size=2), r"no kernel position fits"),
    (pool_output_size, dict(input_size=1, kernel_size=5, stride=2, ceil_mode=True), r"input_size=1 is invalid: no pooling window fits: ceil mode needs"),
    # the refusal prints both sides as they are: 2 + 0 + 0 + 1 = 3 against 4 + 1 = 5
    (pool_output_size, dict(input_size=2, kernel_size=5, stride=1, ceil_mode=True),
     r"ceil mode needs i \+ p_l \+ p_r \+ s > d\(k - 1\) \+ 1, but i \+ p_l \+ p_r \+ s = 3 and d\(k - 1\) \+ 1 = 5$"),
    (pool_output_size, dict(input_size=1, kernel_size=6, stride=2, padding=(1, 2), ceil_mode=True),
     r"i \+ p_l \+ p_r \+ s = 6 and d\(k - 1\) \+ 1 = 6$"),
    (pool_output_size, dict(input_size=5, kernel_size=3, padding=2), r"padding=2 is invalid: pooling padding must be at most half the kernel size \(3\)"),
    (transposed_output_size, dict(input_size=3, kernel_size=3, stride=2, output_padding=2), r"output_padding=2 is invalid: output_padding must be at least 0 and smaller than max\(stride, dilation\) = 2"),
    (transposed_output_size, dict(input_size=3, kernel_size=3, output_padding=-1), r"output_padding=-1 is invalid"),
    (transposed_output_size, dict(input_size=1, kernel_size=1, padding=1), r"padding=1 is invalid: the transposed output size"),
    (conv_output_size, dict(input_size=sympy.Integer(0), kernel_size=3), r"input_size=0 is invalid"),
    (conv_output_size, dict(input_size=sympy.Rational(1, 2), kernel_size=3), r"input_size=1/2 is invalid"),
    (conv_output_size, dict(input_size=i, kernel_size=3, stride=-s), r"stride=-s is invalid"),
]


@pytest.mark.parametrize("function, kwargs, message", BAD)
def test_bad_input(function, kwargs, message):
    with pytest.raises(ParameterError, match=message) as info:
        function(**kwargs)
    assert isinstance(info.value, SymconvError) and isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def test_errors_carry_structured_data():
    with pytest.raises(ParameterError) as info:
        conv_output_size(5, 3, stride=0)
    assert (info.value.name, info.value.value) == ("stride", 0)


def test_facade_is_lazy_and_complete():
    for name in symconv.__all__:
        assert getattr(symconv, name) is not None
    with pytest.raises(AttributeError):
        _ = symconv.no_such_name


def test_public_names_are_not_shadowed_by_submodules():
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(symconv.__path__):
        if module.name != "__main__":  # importing it runs the CLI
            importlib.import_module(f"symconv.{module.name}")
    for name in ("relationship", "verify", "prove", "transpose", "theorem"):
        assert callable(getattr(symconv, name)) and not isinstance(getattr(symconv, name), type(symconv)), name
    assert symconv.relationship(1).number == 1
