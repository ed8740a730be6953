"""docs/tour.ipynb: committed without outputs, and every cell runs (executed with nbclient in a real kernel)."""

import json
from pathlib import Path

import pytest

TOUR = Path(__file__).resolve().parent.parent / "docs" / "tour.ipynb"


def test_tour_is_committed_without_outputs():
    notebook = json.loads(TOUR.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, "the tour has no code cells"
    for cell in code:
        source = "".join(cell["source"])
        assert cell["outputs"] == [], f"a cell holds outputs (clear them before committing): {source[:60]!r}"
        assert cell["execution_count"] is None, f"a cell holds an execution count: {source[:60]!r}"


def test_tour_covers_the_issue():
    """What a new user is promised to see, each at least once."""
    source = "\n".join("".join(cell["source"]) for cell in json.loads(TOUR.read_text(encoding="utf-8"))["cells"])
    for needle in ("symconv.conv_output_size(i,", "specialise(", "symconv.prove(", "symconv.transpose(",
                   "symconv.input_sizes(", "symconv.paddings(", "check_scheme(", "counterexample",
                   "symconv.from_torch(", "analyse_graph(", "layer_figure(", "to_animated_svg(", "SVG("):
        assert needle in source, needle


def test_tour_runs_top_to_bottom():
    pytest.importorskip("nbclient", reason="running the tour needs nbclient: pip install 'symconv[notebook]'")
    pytest.importorskip("nbformat", reason="running the tour needs nbformat: pip install 'symconv[notebook]'")
    pytest.importorskip("ipykernel", reason="running the tour needs ipykernel: pip install 'symconv[notebook]'")
    pytest.importorskip("torch", reason="the tour's U-Net needs torch: pip install 'symconv[torch]'")
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(TOUR, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(TOUR.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:  # the failing cell's source and the kernel's traceback
        pytest.fail(f"a cell of docs/tour.ipynb fails:\n{error}", pytrace=False)
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    kinds = {kind for output in outputs for kind in output.get("data", {})}
    assert {"text/latex", "text/markdown", "image/svg+xml"} <= kinds, kinds
    svgs = [output["data"]["image/svg+xml"] for output in outputs if "image/svg+xml" in output.get("data", {})]
    assert any("<animate" in svg for svg in svgs), "the animation is not displayed"
    printed = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    assert "Traceback" not in printed
