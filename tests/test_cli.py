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
    assert data["number"] == 13 and "p'" in data["equivalent"]


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
    assert out.strip().splitlines() == ["pool(input_size=112, kernel_size=3, padding=1, dilation=1, stride=2) -> output_size = 57",
                                        "False"]


def test_python_m_symconv_works():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "symconv", "shape", "conv", "-i", "5", "-k", "3", "--json"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and '"output_size": 3' in run.stdout
    run = subprocess.run([sys.executable, "-m", "symconv", "shape", "conv", "-i", "5", "-k", "0"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
