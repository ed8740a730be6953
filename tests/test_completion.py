"""Shell completion through argcomplete: its protocol run in a subprocess, as bash and zsh run it.

argcomplete's protocol: the shell starts the command with ``_ARGCOMPLETE=1``, the line in ``COMP_LINE`` and the
cursor in ``COMP_POINT``; the command writes the completions, separated by ``\\v``, to file descriptor 8 and exits.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symconv.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _complete(line: str) -> list[str]:
    """The completions of ``line`` (cursor at its end), through ``python -m symconv`` as the shellcode runs it."""
    env = {**os.environ, "COMP_LINE": line, "COMP_POINT": str(len(line)), "_ARGCOMPLETE": "1",
           "_ARGCOMPLETE_SHELL": "bash"}
    env.pop("_ARGCOMPLETE_STDOUT_FILENAME", None)
    command = f"{_quote(sys.executable)} -m symconv 8>&1 9>&2 1>/dev/null 2>/dev/null"
    result = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result
    return [item.strip() for item in result.stdout.split("\v") if item.strip()]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.fixture
def shell():
    """argcomplete and bash, or a skip with the reason."""
    pytest.importorskip("argcomplete", reason="shell completion needs argcomplete: pip install 'symconv[completion]'")
    if shutil.which("bash") is None:
        pytest.skip("the completion protocol is run through bash, which is not installed")


@pytest.mark.parametrize("line, expected", [
    ("symconv sh", {"show", "shape"}),
    ("symconv sch", {"scheme"}),
    ("symconv scheme c", {"check", "compare"}),
    ("symconv shape ", {"conv", "pool", "transposed"}),
    ("symconv verify --b", {"--bound"}),
    ("symconv graph --no", {"--no-fixes"}),
    ("symconv render --format ", {"latex", "markdown", "coq", "html", "all"}),
])
def test_completions(shell, line, expected):
    got = set(_complete(line))
    assert expected <= got, (line, got)
    word = line.split(" ")[-1]
    assert all(item.startswith(word) for item in got), got


def test_the_parser_and_the_completions_agree(shell):
    """Every command the parser has is offered, and nothing else."""
    import argparse

    from symconv.cli import _parser

    actions = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    commands = set(actions[0].choices)
    assert set(_complete("symconv ")) >= commands
    assert {item for item in _complete("symconv ") if not item.startswith("-")} == commands


def test_registered_shellcode_completes_in_bash(shell):
    """``eval "$(register-python-argcomplete symconv)"``, as the README says, then bash's completion call."""
    register = shutil.which("register-python-argcomplete", path=str(Path(sys.executable).parent))
    script = shutil.which("symconv", path=str(Path(sys.executable).parent))
    if register is None or script is None:
        pytest.skip("register-python-argcomplete or the symconv script is not installed beside this Python")
    bash = f"""
        eval "$({_quote(register)} symconv)"
        COMP_LINE='symconv scheme co'; COMP_POINT=${{#COMP_LINE}}; COMP_WORDS=(symconv scheme co); COMP_CWORD=2
        _python_argcomplete symconv co scheme
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    env = {**os.environ, "PATH": f"{Path(script).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", "-c", bash], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["compare"], result


def test_a_plain_run_does_not_import_argcomplete():
    code = "import sys; from symconv.cli import main; main(['list', '--json']); print('argcomplete' in sys.modules)"
    env = {key: value for key, value in os.environ.items() if key != "_ARGCOMPLETE"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip().endswith("False"), result


def test_without_argcomplete_the_request_is_ignored(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "argcomplete", None)  # import argcomplete raises ImportError
    monkeypatch.setenv("_ARGCOMPLETE", "1")
    monkeypatch.setattr(sys, "argv", ["symconv", "shape", "conv", "-i", "5", "-k", "3", "--json"])
    assert main() == 0
    assert json.loads(capsys.readouterr().out) == {"output_size": 3}


def test_the_marker_is_where_argcomplete_looks():
    """Global completion (activate-global-python-argcomplete) looks for the marker in the first 1024 bytes."""
    assert b"# PYTHON_ARGCOMPLETE_OK" in (ROOT / "symconv" / "cli.py").read_bytes()[:1024]
