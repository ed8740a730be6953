"""A layer remembers its parameters per axis: the same LayerAxis it computes, and the same errors."""

from dataclasses import replace

import pytest

from symconv import ParameterError
from symconv.layers import Layer
from symconv.layers.layer import resolved, scheme_padding

LAYERS = [Layer("conv", 3, padding=1), Layer("conv", (3, 1), (2, 1), ((1, 1), (0, 0)), (1, 2)),
          Layer("pool", (2, 3), ceil_mode=True), Layer("tconv", 4, 2, 1, output_padding=1), Layer("upsample", (2, 1))]


@pytest.mark.parametrize("layer", LAYERS, ids=str)
def test_the_remembered_axis_is_the_computed_one(layer):
    for axis in range(layer.axes or 3):
        assert layer.axis(axis) == layer._axis(axis)
        assert resolved(layer, 7, axis) == replace(layer.axis(axis), padding=scheme_padding(layer, 7, axis))


@pytest.mark.parametrize("axis", [2, -1, "0", 1.0])
def test_a_bad_axis_is_refused_as_before(axis):
    layer = LAYERS[1]
    with pytest.raises(ParameterError, match="has 2 axes, 0 to 1"):
        layer.axis(axis)


def test_a_layer_with_unhashable_values_is_still_read():
    layer = Layer("conv", 3, padding=[[1, 2]])  # normalised to a hashable pair
    assert layer.axis(0).padding == (1, 2)
    odd = Layer("conv", 3, padding=({1}, 0))  # a set: never hashable, refused later by the stack's checks
    assert odd.axis(0).padding == ({1}, 0)


@pytest.mark.parametrize("kernel_size", [3.0, True])
def test_what_is_remembered_for_a_layer_is_not_given_to_an_equal_one(kernel_size):
    from symconv.layers import Stack, sizes

    assert sizes(Stack([Layer("conv", int(kernel_size))]), 5)  # 3.0 == 3 and True == 1: equal layers
    with pytest.raises(ParameterError, match="kernel_size must be a positive integer"):
        Stack([Layer("conv", kernel_size)])
