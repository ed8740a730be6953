"""A command imports only what it uses: the modules `python -X importtime -m symconv CMD` loads, per command.

`symconv shape` answers without sympy; no command but the ones that write documents loads jinja2; the commands that
only read the catalogue or solve for sizes never load the proof kernel or z3.
"""

import subprocess
import sys

import pytest

UNET = "conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1"
KERNEL = ("symconv.proof", "z3")
RENDERING = ("jinja2", "symconv.present.render", "symconv.present.document")

CASES = [
    (["shape", "conv", "-i", "224", "-k", "7", "-s", "2", "-p", "3"], ("sympy", "numpy", *KERNEL, *RENDERING)),
    (["shape", "pool", "-i", "224,160", "-k", "2"], ("sympy", "numpy", *KERNEL, *RENDERING)),
    (["shape", "conv", "-i", "224", "-k", "7", "--json"], ("sympy", "numpy", *KERNEL, *RENDERING)),
    (["list"], (*KERNEL, *RENDERING)),
    (["show", "14"], (*KERNEL, *RENDERING)),
    (["transpose", "-k", "3", "-s", "2", "-p", "1", "-i", "6"], (*KERNEL, *RENDERING)),
    (["solve", "inputs", "-k", "3", "-s", "2", "-o", "5"], (*KERNEL, *RENDERING)),
    (["net", UNET, "-i", "89"], (*KERNEL, *RENDERING)),
    (["graph", "x = input [H]; a = conv k=3 (x); b = pool k=2 (a)", "-i", "9"], (*KERNEL, *RENDERING)),
    (["graph", "x = input [H]; a = pool k=2; u = upsample f=2; c = cat (x, u)", "-i", "9"], (*KERNEL, *RENDERING)),
    (["verify", "--bound", "4", "--max-kernel-size", "2"], ("z3", *RENDERING)),
    (["prove", "round-trip"], RENDERING),
    # The derivations solve their own linear systems: sympy.solve would load sympy.physics.units to check them.
    (["transpose", "-k", "5", "-s", "3", "-p", "2,1", "-d", "2"], ("sympy.physics", *KERNEL, *RENDERING)),
    (["net", UNET, "-i", "64"], ("sympy.physics", *KERNEL, *RENDERING)),
    (["scheme", "list"], RENDERING),
    (["scheme", "list"], (*KERNEL, *RENDERING)),  # the built-ins are read and listed without the kernel
    (["scheme", "list", "--json"], (*KERNEL, *RENDERING)),
]


def imported(argv):
    """Every module the command loaded, read from -X importtime's report on stderr."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "symconv", *argv],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    names = {line.rpartition("|")[2].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "symconv.cli" in names, "the report lists the modules"
    return names


@pytest.mark.parametrize("argv, absent", CASES, ids=[" ".join(argv[:2]) for argv, _ in CASES])
def test_a_command_loads_only_what_it_uses(argv, absent):
    names = imported(argv)
    loaded = sorted(name for name in names if any(name == a or name.startswith(a + ".") for a in absent))
    assert not loaded, f"symconv {' '.join(argv[:2])} loads {loaded}"


def test_the_cache_option_loads_nothing_when_not_given():
    assert "symconv.proof.cache" not in imported(["list"])


def test_the_report_sees_what_a_command_does_load():
    names = imported(["prove", "round-trip"])
    assert {"sympy", "symconv.proof.checker", "symconv.proof.cache", "z3"} <= names
