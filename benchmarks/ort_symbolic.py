"""Time onnxruntime's SymbolicShapeInference.infer_shapes on a ResNet-50 ONNX graph: the baseline of issue 11.

The importer must give all tensor sizes, the valid-size sets and the receptive
fields of the same file in at most twice this time. With no argument the graph is
the ResNet-50 of the tests (tests/models/nets.py: bottlenecks [3, 4, 6, 3],
projections through Add, symbolic H and W); or give an .onnx file. Prints the
median of 5 runs, and onnx.shape_inference's for reference; no assertions.

    python benchmarks/ort_symbolic.py [MODEL.onnx]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from timing import median_seconds


def resnet50():
    """The tests' ResNet-50, built with onnx.helper (needs onnx)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from models.nets import resnet50 as build

    return build()[0]


def main(argv: list[str]) -> None:
    import onnx
    import onnxruntime
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    model = onnx.load(argv[0]) if argv else resnet50()
    name = argv[0] if argv else "tests' ResNet-50"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        symbolic = median_seconds(lambda: SymbolicShapeInference.infer_shapes(model))
    inferred = median_seconds(lambda: onnx.shape_inference.infer_shapes(model))
    print(f"{name}: {len(model.graph.node)} nodes")
    print(f"onnxruntime {onnxruntime.__version__} SymbolicShapeInference.infer_shapes: {symbolic:.3f} s (median of 5)")
    print(f"onnx {onnx.__version__} shape_inference.infer_shapes: {inferred:.3f} s (median of 5)")
    print(f"importer target (2x): {2 * symbolic:.3f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
