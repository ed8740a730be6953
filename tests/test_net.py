"""`symconv net` and the stack derivation document."""

import json
import re
import shutil
import subprocess

import pytest
from sympy import floor

from symconv.cli import main
from symconv.present.document import build_stack_document
from symconv.present.render import render_stack_latex, render_stack_markdown
from symconv.layers import parse_stack

UNET = ("conv k=3 p=1 @e1; pool k=2; conv k=3 p=1 @e2; pool k=2; conv k=3 p=1 @e3; pool k=2; "
        "conv k=3 p=1 @e4; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d4; conv k=3 p=1; tconv k=2 s=2 @d3; "
        "conv k=3 p=1; tconv k=2 s=2 @d2; conv k=3 p=1; tconv k=2 s=2 @d1 | e4=d4, e3=d3, e2=d2, e1=d1")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_net_json_keys(capsys):
    code, out, _ = run(capsys, "net", UNET, "--json")
    data = json.loads(out)
    assert code == 0
    assert {"output_size", "receptive_field", "effective_stride", "effective_padding", "reason",
            "valid_input_sizes"} <= set(data)
    assert data["output_size"]["expr"] == "16*floor(i/16)" and data["output_size"]["text"] == "16⌊i/16⌋"
    assert "value" not in data["output_size"]
    assert data["receptive_field"] == 110 and data["effective_stride"] == 1 and data["reason"] is None
    assert data["aligned_input_sizes"] == {"modulus": 16, "residues": [0], "min": 16, "also": [], "except": [],
                                           "text": "i ≡ 0 (mod 16), i ≥ 16"}


def test_net_json_gives_each_formula_at_the_input_size(capsys):
    _, out, _ = run(capsys, "net", UNET, "-i", "160", "--json")
    assert json.loads(out)["output_size"]["value"] == 160
    _, out, _ = run(capsys, "net", UNET, "-i", "224,160", "--json")  # one layer for every axis
    assert json.loads(out)["output_size"]["value"] == [224, 160]
    _, out, _ = run(capsys, "net", "conv k=7,5 s=2 p=3:3,2:2; pool k=3 s=2 p=1; conv k=3,1", "-i", "224,160", "--json")
    axes = json.loads(out)["axes"]  # per-axis layers: each axis at its own size
    assert [axis["output_size"]["text"] for axis in axes] == ["⌈i/4⌉ - 2", "⌈i/4⌉"]
    assert [axis["output_size"]["value"] for axis in axes] == [54, 40]
    code, out, _ = run(capsys, "net", "conv k=7; pool k=2", "-i", "3", "--json")  # no value where it does not run
    data = json.loads(out)
    assert code == 1 and "value" not in data["output_size"] and data["error"].startswith("layer 1 (conv k=7)")


def test_net_json_numbers_are_numbers(capsys):
    _, out, _ = run(capsys, "net", "tconv k=2 s=2", "--json")
    assert json.loads(out)["effective_stride"] == {"numerator": 1, "denominator": 2}
    _, out, _ = run(capsys, "net", "tconv k=1 s=2 p=1", "--json")  # output unit 0 sees no input
    data = json.loads(out)
    assert data["receptive_field"] == 1 and data["effective_padding"] is None and data["reason"] is None
    _, out, _ = run(capsys, "net", "conv k=3 scheme=tf-same s=2; pool k=2", "--json")
    data = json.loads(out)
    assert data["receptive_field"] == 5 and data["effective_stride"] == 4 and data["reason"] is None
    assert "expr" in data["effective_padding"]


def test_net_misaligned_input_names_the_pairs_and_the_next_size(capsys):
    code, out, _ = run(capsys, "net", UNET, "-i", "89", "--json")
    data = json.loads(out)
    assert code == 1
    assert data["sizes"][0] == 89 and data["sizes"][-1] == 80
    assert {tuple(entry["taps"]): entry["sizes"] for entry in data["alignment"]}["e1", "d1"] == [89, 80]
    assert data["next_aligned_input_size"] == 96


def test_net_first_failing_layer(capsys):
    code, out, _ = run(capsys, "net", "conv k=3; conv k=3; pool k=2", "-i", "5")
    assert code == 1 and "layer 3 (pool k=2)" in out and "no kernel position fits" in out


def test_net_resnet_stem(capsys):
    code, out, _ = run(capsys, "net", "conv k=7 s=2 p=3; pool k=3 s=2 p=1", "-i", "224,160", "--json")
    assert code == 0 and json.loads(out)["sizes"] == [[112, 80], [56, 40]]


@pytest.mark.parametrize("argv, message", [
    (["net", "conv k=0"], "layer 1 k=0 is invalid"),
    (["net", "conv k=3; frob k=2"], "'frob' at column 1: layer 2: unknown op"),
    (["net", "conv k=3 @a | a=b"], "b"),
    (["net", "conv k=3", "-i", "x"], "input_size='x' is invalid"),
    (["net", "conv k=3", "--render", "/tmp/x", "--format", "pdf"], "invalid choice: 'pdf'"),
])
def test_net_bad_input(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_stack_document_markdown_and_latex(tmp_path, capsys):
    code, out, _ = run(capsys, "net", UNET, "--render", str(tmp_path), "--format", "all")
    assert code == 0
    md = (tmp_path / "stack.md").read_text()
    assert "nested floors and ceilings merged" in md and "holds for every m" in md
    assert r"i ≡ 0 \(mod 16\), i ≥ 16" in md  # parentheses escaped, as all user-facing text is
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    run_ = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "stack.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run_.returncode == 0, run_.stdout[-2000:]


def test_stack_document_escapes_tap_names_and_spec():
    doc = build_stack_document(parse_stack("conv k=3 p=1 @a_b; pool k=2; tconv k=2 s=2 @c | a_b=c"))
    assert r"a\_b" in render_stack_latex(doc)
    assert r"a\_b" in render_stack_markdown(doc)


def test_net_per_axis_stack(capsys):
    spec = "conv k=7,5 s=2 p=3:3,2:2 @a; pool k=3 s=2 p=1; conv k=1; upsample f=2 @b | a=b"
    code, out, _ = run(capsys, "net", spec, "-i", "224,160", "--json")
    data = json.loads(out)
    assert code == 0 and data["sizes"] == [[112, 80], [56, 40], [56, 40], [112, 80]]
    assert [axis["output_size"]["text"] for axis in data["axes"]] == ["2⌈i/4⌉", "2⌈i/4⌉"]
    assert [axis["receptive_field"] for axis in data["axes"]] == [11, 9]
    code, out, _ = run(capsys, "net", spec, "-i", "224")
    assert code == 0
    assert out.splitlines()[0] == "axis 0: conv k=7 s=2 p=3 @a; pool k=3 s=2 p=1; conv k=1; upsample f=2 @b | a=b"
    assert "sizes for i = 224: 112,112 -> 56,56 -> 56,56 -> 112,112" in out
    assert "a=b: 112,112 vs 112,112 (aligned)" in out


def test_net_per_axis_misaligned(capsys):
    code, out, _ = run(capsys, "net", "conv k=3 p=1 @a; pool k=2,1; upsample f=2,1 @b | a=b", "-i", "89,50")
    assert code == 1
    assert "a=b: 89,50 vs 88,50 (MISALIGNED)" in out
    assert "the smallest aligned input size from 89,50 up is 90,50" in out


@pytest.mark.parametrize("spec, size", [
    ("upsample f=2 @a; pool k=2 @b | a=b", "5"),  # no input size aligns
    ("tconv k=1 s=2 p=1", "5"),  # output unit 0 sees no input
    ("conv k=3 scheme=tf-same", "9"),  # no fixed receptive field
])
def test_net_text_never_says_none(capsys, spec, size):
    code, out, _ = run(capsys, "net", spec, "-i", size)
    assert "None" not in out and code in (0, 1)


def test_net_renders_one_document_per_axis(tmp_path, capsys):
    code, out, _ = run(capsys, "net", "conv k=3,1 p=1:1,0:0 @e1; pool k=2,1; upsample f=2,1 @d1 | e1=d1",
                       "--render", str(tmp_path))
    assert code == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["stack-axis0.md", "stack-axis1.md"]
    assert "upsample f=2 @d1" in (tmp_path / "stack-axis0.md").read_text()


@pytest.mark.parametrize("argv, message", [
    (["net", "conv k=3,1", "-i", "224,160,3"], "the stack has 2 axes"),
    (["net", "conv k=3", "-i", "224,"], "input_size='224,' is invalid"),
    (["net", "conv k=3,1 p=1,0"], "p=1,0 is ambiguous"),
    (["net", "upsample k=2"], "upsample takes f=, not k="),
])
def test_net_per_axis_bad_input(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1


# ---------------------------------------------------------------- the data behind net's text and JSON


def test_stack_data_holds_raw_values():
    from fractions import Fraction

    from symconv.core.symbols import i
    from symconv.layers import InputSizes, aligned_inputs, receptive_field
    from symconv.present.data import stack_data

    stack = parse_stack(UNET)
    found = stack_data(stack, 89)
    assert found["output_size"] == 16 * floor(i / 16)
    assert found["valid_input_sizes"] == InputSizes(1, (0,), 16)
    assert found["aligned_input_sizes"] == aligned_inputs(stack).answer
    assert found["sizes"][-1] == 80 and found["receptive_field"] == receptive_field(stack).size
    assert found["next_aligned_input_size"] == 96
    assert stack_data(stack, (96, 64))["sizes"][-1] == [96, 64]
    failed = stack_data(parse_stack("conv k=3; conv k=3"), 3)
    assert failed["error"].startswith("layer 2 (conv k=3) input_size=1 is invalid") and "sizes" not in failed
    assert stack_data(parse_stack("pool k=2; tconv k=3 s=2"))["effective_stride"] == 1
    assert stack_data(parse_stack("tconv k=2 s=2"))["effective_stride"] == Fraction(1, 2)


def test_stack_data_per_axis():
    from symconv.core.symbols import i
    from symconv.present.data import stack_data

    net = parse_stack("conv k=3,1 p=1:1,0:0 @a; pool k=2,1; upsample f=2,1 @b | a=b")
    found = stack_data(net, (89, 50))
    assert [axis["output_size"] for axis in found["axes"]] == [2 * floor(i / 2), i]
    assert [str(axis["aligned_input_sizes"]) for axis in found["axes"]] == ["i ≡ 0 (mod 2), i ≥ 2", "i ≥ 1"]
    assert found["sizes"] == [[89, 50], [44, 50], [88, 50]]
    assert found["alignment"][0]["aligned"] is False and found["next_aligned_input_size"] == [90, 50]


@pytest.mark.parametrize("size, rule", [((), "input_size=() is invalid: give at least one axis"),
                                        (0, "input_size=0 is invalid")])
def test_stack_data_refuses_a_bad_input_size(size, rule):
    from symconv.core.errors import ParameterError
    from symconv.present.data import stack_data

    with pytest.raises(ParameterError, match=re.escape(rule)):
        stack_data(parse_stack("conv k=3"), size)


def test_a_one_axis_stack_at_one_size_per_axis_names_the_next_aligned_size(capsys):
    code, out, _ = run(capsys, "net", "conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1",
                       "-i", "88,89")
    assert code == 1 and out.splitlines()[-1] == "  the smallest aligned input size from 88,89 up is 88,90"
