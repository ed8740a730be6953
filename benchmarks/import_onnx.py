"""Time the ONNX importer against onnxruntime's SymbolicShapeInference, in one run: the goals of issue 11.

- ResNet-50 (the tests' ONNX build, or MODEL.onnx): symconv imports the file and computes every tensor's size,
  the valid-size sets and the receptive fields (``analyse_graph``), in at most 2x the time onnxruntime's
  ``SymbolicShapeInference.infer_shapes`` takes on the same model;
- a 4-level U-Net: the same within 1 s.

Each figure is the median of 5 runs after one warm-up run; symconv's caches are cleared before every run, so
each run does all the work. No assertions: it prints the figures and the ratio.

    python benchmarks/import_onnx.py [MODEL.onnx]
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

from timing import median_seconds

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def clear_caches() -> None:
    """Forget everything symconv cached, so that a run repeats all the work."""
    import functools
    import gc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # touching some torch objects warns
        for item in gc.get_objects():
            if isinstance(item, functools._lru_cache_wrapper) and \
                    str(getattr(item, "__module__", "")).startswith("symconv"):
                item.cache_clear()


def symconv_run(path: str, everything: bool = False):
    """Import ``path`` and compute every tensor's size, the valid-size sets and the receptive fields; with
    ``everything``, all of ``analyse_graph`` with the fix search forced on (by default it runs only where a
    size fails)."""
    from symconv.graphs.decide import valid_sizes
    from symconv.graphs.receptive import receptive_fields
    from symconv.graphs.report import analyse_graph
    from symconv.graphs.sizes import tensor_sizes
    from symconv.importers.from_onnx import from_onnx

    def run():
        clear_caches()
        graph = from_onnx(path)
        if everything:
            return analyse_graph(graph, fixes=True)
        return tensor_sizes(graph), valid_sizes(graph), receptive_fields(graph)

    return run


def measure(path: str, name: str, baseline: float | None = None) -> None:
    core, full = median_seconds(symconv_run(path)), median_seconds(symconv_run(path, True))
    print(f"{name}: symconv from_onnx + sizes, valid sets, receptive fields: {core:.3f} s"
          + (f" ({core / baseline:.2f}x onnxruntime's)" if baseline else ""))
    print(f"{name}: symconv from_onnx + analyse_graph with the fix search forced: {full:.3f} s"
          + (f" ({full / baseline:.2f}x)" if baseline else ""))


def main(argv: list[str]) -> None:
    import onnx
    import onnxruntime
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    from models.nets import resnet50, unet

    with tempfile.TemporaryDirectory() as scratch:
        if argv:
            path, name = argv[0], argv[0]
        else:
            path, name = str(Path(scratch) / "resnet50.onnx"), "tests' ResNet-50"
            onnx.save(resnet50()[0], path)
        model = onnx.load(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ort = median_seconds(lambda: SymbolicShapeInference.infer_shapes(model))
        from symconv.importers.from_onnx import from_onnx

        print(f"{name}: {len(model.graph.node)} ONNX nodes, {len(from_onnx(path).nodes)} graph nodes")
        print(f"onnxruntime {onnxruntime.__version__} SymbolicShapeInference.infer_shapes: {ort:.3f} s")
        measure(path, name, ort)
        print("goal: at most 2x onnxruntime's time (medians of 5 after a warm-up)")

        path = str(Path(scratch) / "unet.onnx")
        onnx.save(unet()[0], path)
        measure(path, "4-level U-Net")
        print("goal: within 1 s")


if __name__ == "__main__":
    main(sys.argv[1:])
