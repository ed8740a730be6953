"""The CLI, called as main([...])."""

import json

import pytest

from symconv.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_shape_conv_json(capsys):
    code, out, _ = run(capsys, "shape", "conv", "-i", "224", "-k", "7", "-s", "2", "-p", "3", "--json")
    assert code == 0 and json.loads(out) == {"output_size": 112}


def test_shape_long_names_and_pairs(capsys):
    code, out, _ = run(capsys, "shape", "conv", "--input-size", "10", "--kernel-size", "3",
                       "--stride", "3", "--padding", "2,0", "--json")
    assert json.loads(out)["output_size"] == 4


@pytest.mark.parametrize("argv, size", [
    (["pool", "-i", "5", "-k", "2", "--ceil-mode"], 3),
    (["pool", "-i", "5", "-k", "2"], 2),
    (["transposed", "-i", "3", "-k", "3", "-s", "2", "-p", "1", "--output-padding", "1"], 6),
    (["conv", "-i", "7", "-k", "3", "-d", "2"], 3),
])
def test_shape_table(capsys, argv, size):
    code, out, _ = run(capsys, "shape", *argv, "--json")
    assert code == 0 and json.loads(out)["output_size"] == size


def test_shape_text(capsys):
    code, out, _ = run(capsys, "shape", "conv", "-i", "5", "-k", "3")
    assert code == 0 and out.strip().endswith("output_size = 3")


def test_verify_json(capsys):
    code, out, _ = run(capsys, "verify", "--bound", "8", "--json")
    data = json.loads(out)
    assert code == 0 and data["failures"] == 0
    assert [r["number"] for r in data["relationships"]] == list(range(1, 16))
    assert all(r["cases"] > 0 and r["failures"] == 0 for r in data["relationships"])


def test_verify_text(capsys):
    code, out, _ = run(capsys, "verify", "--bound", "6")
    assert code == 0 and "Relationship 14" in out and "0 failures" in out


def test_list_and_show(capsys):
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0 and len(json.loads(out)["relationships"]) == 15
    code, out, _ = run(capsys, "show", "14")
    assert code == 0 and "Relationship 14" in out and "mod s" in out
    code, out, _ = run(capsys, "show", "13", "--json")
    data = json.loads(out)
    assert data["number"] == 13 and data["equivalent"]["padding"][0]["text"] == "k - p - 1"
    assert data["equation"]["text"] == "o' = s(i' - 1) + k - 2p"


BAD = [
    (["shape", "conv", "-i", "5", "-k", "3", "-s", "0"], "stride=0 is invalid: stride must be a positive integer"),
    (["shape", "conv", "-i", "-5", "-k", "3"], "input_size=-5 is invalid"),
    (["shape", "conv", "-i", "5", "-k", "3", "-p", "-1"], "padding=-1 is invalid"),
    (["shape", "conv", "-i", "5", "-k", "x"], "kernel_size='x' is invalid: kernel_size must be an integer"),
    (["shape", "conv", "-i", "5", "-k", "3", "-p", "1,2,3"], "padding='1,2,3' is invalid"),
    (["shape", "conv", "-i", "2", "-k", "3", "-d", "2"], "no kernel position fits"),
    (["shape", "conv", "-i", "5", "-k", "3", "--ceil-mode"], "ceil_mode=True is invalid"),
    (["shape", "transposed", "-i", "3", "-k", "3", "-s", "2", "--output-padding", "5"], "output_padding=5 is invalid"),
    (["shape", "conv", "-k", "3"], "the following arguments are required: -i/--input-size"),
    (["shape", "fft", "-i", "5", "-k", "3"], "invalid choice: 'fft'"),
    (["show", "16"], "number=16 is invalid: a relationship number must be an integer from 1 to 15"),
    (["show", "two"], "number='two' is invalid"),
    (["verify", "--bound", "0"], "bound=0 is invalid: bound must be a positive integer"),
    (["frobnicate"], "invalid choice"),
    ([], "required: command"),
    # options that do not apply are refused, not ignored
    (["shape", "conv", "-i", "5", "-k", "3", "--output-padding", "1"],
     "output_padding=1 is invalid: output_padding applies to transposed only"),
    (["shape", "pool", "-i", "5", "-k", "2", "--output-padding", "0"], "output_padding applies to transposed only"),
    (["scheme", "compare", "-i", "10..5"], "input_sizes='10..5' is invalid: a range A..B needs A <= B"),
    (["solve", "padding", "-i", "10", "-k", "3", "-s", "2", "--same"],
     "stride=2 is invalid: --same (o = i) is only possible at stride 1"),
    (["solve", "padding", "-i", "10", "-k", "3", "-s", "1,2", "--same"], "use --ceil (the tf-same scheme)"),
    (["solve", "padding", "-i", "10", "-k", "3", "-p", "1", "--ceil"], "solve padding does not take --padding"),
    (["solve", "padding", "-i", "10", "-k", "3", "-o", "4", "--ceil"],
     "give one of -o/--output-size, --same and --ceil"),
    (["solve", "inputs", "-o", "3", "-k", "3", "-i", "4"], "solve inputs does not take --input-size"),
    (["solve", "output-padding", "-i", "5", "-k", "3", "--same"], "solve output-padding does not take --same"),
    # per-axis lists
    (["shape", "conv", "-i", "224,", "-k", "3"], "input_size='224,' is invalid: input_size must be an integer, or one"),
    (["shape", "conv", "-i", ",", "-k", "3"], "one integer per axis like 224,160"),
    (["shape", "conv", "-i", "224,x", "-k", "3"], "input_size='224,x' is invalid"),
    (["shape", "conv", "-i", "224,160", "-k", "3,3,3"],
     "kernel_size=(3, 3, 3) is invalid: kernel_size must have one entry per axis (2)"),
    (["shape", "conv", "-i", "224,160", "-k", "3", "-p", "1,2,3"],
     "padding must be P, or one P or BEFORE:AFTER per axis (2)"),
    (["shape", "conv", "-i", "224,160", "-k", "3", "-p", "1:x"], "padding='x' is invalid"),
    (["shape", "conv", "-i", "224", "-k", "3", "-p", "1:2,3:4"],
     "padding must be P, or one P or BEFORE:AFTER per axis (1)"),
    (["solve", "inputs", "-o", "112,80", "-k", "7,5,3"], "kernel_size=(7, 5, 3) is invalid"),
    (["solve", "output-padding", "-i", "89,0", "-k", "2"], "input_size=0 is invalid"),
]


@pytest.mark.parametrize("argv, message", BAD)
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_numeric_shape_does_no_symbolic_work():
    import subprocess
    import sys

    probe = ("import sys; from symconv.cli import main; "
             "main(['shape', 'pool', '-i', '112', '-k', '3', '-s', '2', '-p', '1', '--ceil-mode']); "
             "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines() == [
        "pool(input_size=112, kernel_size=3, padding=1, dilation=1, stride=2) -> output_size = 57", "False"]


def test_python_m_symconv_works():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "symconv", "shape", "conv", "-i", "5", "-k", "3", "--json"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and '"output_size": 3' in run.stdout
    run = subprocess.run([sys.executable, "-m", "symconv", "shape", "conv", "-i", "5", "-k", "0"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


# --- per axis -------------------------------------------------------------------------

@pytest.mark.parametrize("argv, size", [
    (["conv", "-i", "224,160", "-k", "7,5", "-s", "2", "-p", "3,2"], [112, 80]),
    (["conv", "-i", "224,160", "-k", "3", "-p", "1"], [224, 160]),
    (["conv", "-i", "10,10", "-k", "3", "-s", "3", "-p", "2:0,0"], [4, 3]),
    (["conv", "-i", "10,10", "-k", "3", "-s", "3", "-p", "2:0"], [4, 4]),
    (["conv", "-i", "10", "-k", "3", "-s", "3", "-p", "2:0"], 4),
    (["pool", "-i", "5,6", "-k", "2", "--ceil-mode"], [3, 3]),
    (["transposed", "-i", "44,3", "-k", "2,3", "-s", "2", "--output-padding", "1,1"], [89, 8]),
])
def test_shape_per_axis(capsys, argv, size):
    code, out, _ = run(capsys, "shape", *argv, "--json")
    assert code == 0 and json.loads(out) == {"output_size": size}


def test_shape_per_axis_text(capsys):
    code, out, _ = run(capsys, "shape", "conv", "-i", "224,160", "-k", "3,1", "-p", "1,0")
    assert code == 0 and out == ("conv(input_size=(224, 160), kernel_size=(3, 1), padding=(1, 0), dilation=1)"
                                 " -> output_size = (224, 160)\n")


def test_solve_per_axis(capsys):
    code, out, _ = run(capsys, "solve", "inputs", "-o", "112,80", "-k", "7,5", "-s", "2", "-p", "3,2", "--json")
    assert code == 0 and json.loads(out) == {"axes": [{"output_size": 112, "input_sizes": [223, 224]},
                                                      {"output_size": 80, "input_sizes": [159, 160]}]}
    code, out, _ = run(capsys, "solve", "padding", "-i", "224,160", "-k", "7,3", "-s", "2", "--ceil")
    assert code == 0 and out.splitlines() == [
        "axis 0: output_size 112: totals 5..6; symmetric p in [3]; smallest (before, after) = (2, 3)",
        "axis 1: output_size 80: totals 1..2; symmetric p in [1]; smallest (before, after) = (0, 1)"]
    code, out, _ = run(capsys, "solve", "padding", "-i", "10,20", "-k", "3", "-o", "2,9")
    assert code == 1 and out.startswith("axis 0: output_size 2: none")
    code, out, _ = run(capsys, "solve", "output-padding", "-i", "89,64", "-k", "2", "-s", "2", "--json")
    assert code == 0 and [axis["output_padding"] for axis in json.loads(out)["axes"]] == [1, 0]


def test_solve_same_at_stride_1_still_works(capsys):
    code, out, _ = run(capsys, "solve", "padding", "-i", "6", "-k", "4", "--same")
    assert code == 0 and out.startswith("output_size 6: total 3")


# Text output is for people: a Python "None" (or "nan") leaking into it is a bug. Each command's
# answers include the cases where something is absent: no solution, no alignment, no counterexample.
TEXT_COMMANDS = [
    ["list"], ["show", "7"], ["show", "14"],
    ["shape", "conv", "-i", "5", "-k", "3"], ["shape", "pool", "-i", "5", "-k", "2", "--ceil-mode"],
    ["shape", "transposed", "-i", "5", "-k", "3", "-s", "2", "--output-padding", "1"],
    ["shape", "conv", "-i", "224,160", "-k", "3,1", "-s", "2"],
    ["transpose", "-k", "3", "-s", "2", "-p", "1"], ["transpose", "-k", "3", "-s", "2", "-p", "1", "-i", "6"],
    ["solve", "inputs", "-o", "112", "-k", "7", "-s", "2", "-p", "3"],
    ["solve", "inputs", "-o", "1", "-k", "3", "-s", "1", "-p", "5"],
    ["solve", "padding", "-i", "6", "-k", "4", "--same"], ["solve", "padding", "-i", "224", "-k", "7", "-s", "2", "--ceil"],
    ["solve", "output-padding", "-i", "89", "-k", "2", "-s", "2"],
    ["verify", "--bound", "6", "--max-kernel-size", "3"],
    ["scheme", "list"], ["scheme", "check", "causal"], ["scheme", "compare", "torch-same", "tf-same", "-k", "3", "-s", "2"],
    ["net", "conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1", "-i", "89"],
    ["net", "conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1", "-i", "88"],
    ["net", "conv k=3 s=2 scheme=tf-same; pool k=2"], ["net", "tconv k=2 s=2 p=1; conv k=1 p=1", "-i", "10"],
    ["net", "conv k=7,1 s=2 p=3:3,0:0; pool k=3 s=2 p=1", "-i", "224,160"],
]


@pytest.mark.parametrize("argv", TEXT_COMMANDS, ids=" ".join)
def test_text_output_never_says_none(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert out.strip() and "None" not in out and "nan" not in out.split()
