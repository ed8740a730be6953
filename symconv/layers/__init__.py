"""Stacks of layers: symbolic output sizes, receptive fields and alignment, per axis.

Real networks stack layers. A U-Net floors an odd size on the way down,
doubles it on the way up and crashes on a concatenation (88 vs 89). This
package composes the per-layer formulas into the size of every layer as a
function of the input size ``i``, computes receptive fields exactly, and
decides which input sizes make a stack run, keep its size or align its skip
connections, as residue classes. The modules, in the order a stack meets them:

- :mod:`.kinds`: the registry of layer kinds (``conv``, ``pool``,
  ``transposed``, ``upsample``): each kind's size, receptive-field step,
  down-sampling, undo and oracle, said once; a new kind goes here;
- :mod:`.regions`: input regions of output units, pushed through a window or a scatter;
- :mod:`.layer`: the :class:`Layer` (parameters per axis) and the :class:`Stack`;
- :mod:`.parse`: the text form, ``"conv k=3,1 p=1:1,0:0 @e1; upsample f=2 @d1 | e1=d1"``;
- :mod:`.simplify`: symbolic sizes with nested floors merged and ceilings preferred;
- :mod:`.sizes`: every layer's size, numerically or symbolically, per axis;
- :mod:`.receptive`: exact receptive fields;
- :mod:`.alignment`: the residue decision procedure (:func:`aligned_inputs` and its kin).

What ``symconv net`` prints of a stack is built in :mod:`symconv.present` (``stack_data``, ``stack_text``).

>>> net = parse_stack("conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1")
>>> output_size(net)
2*floor(i/2)
>>> print(aligned_inputs(net).answer)
i ≡ 0 (mod 2), i ≥ 2
>>> output_size(parse_stack("conv k=3,1 s=2,1 p=1:1,0:0; upsample f=2,1"), (224, 160))
(224, 160)
"""

from symconv.layers.alignment import (
    Decision, InputSizes, ResidueCase, aligned_inputs, decision_steps, exact_inputs, inputs_for_output,
    same_size_inputs, valid_input_sizes,
)
from symconv.layers.kinds import LayerAxis, LayerKind, layer_kind, layer_kinds, register, unregister
from symconv.layers.layer import Layer, Stack, scheme_padding
from symconv.layers.parse import MAX_INTEGER, MAX_LAYERS, MAX_TEXT_LENGTH, parse_stack
from symconv.layers.receptive import ReceptiveField, receptive_field, receptive_fields
from symconv.layers.regions import MAX_PERIOD
from symconv.layers.simplify import simplification_steps, size_expressions
from symconv.layers.sizes import output_size, sizes

__all__ = [
    "Layer", "Stack", "parse_stack", "scheme_padding", "sizes", "size_expressions", "output_size",
    "ReceptiveField", "receptive_fields", "receptive_field",
    "InputSizes", "ResidueCase", "Decision", "valid_input_sizes", "same_size_inputs",
    "aligned_inputs", "inputs_for_output", "exact_inputs", "simplification_steps", "decision_steps",
    "MAX_TEXT_LENGTH", "MAX_LAYERS", "MAX_INTEGER", "MAX_PERIOD",
    "LayerKind", "LayerAxis", "layer_kind", "layer_kinds", "register", "unregister",
]
