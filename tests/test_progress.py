"""Progress on long commands: a bar on a terminal only (run under a pseudo-terminal), never in a pipe, under
--json or --quiet; Ctrl-C gives one line and exit code 130. The models' callbacks are checked in-process."""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from symconv.graphs.parse import parse_graph
from symconv.graphs.report import analyse_graph
from symconv.schemes import builtin_schemes, check_scheme, compare, scheme

ROOT = Path(__file__).resolve().parent.parent
BAR = "%|"  # tqdm's bar: '43%|████▎     | 3/7 [00:02<00:03, 1.41step/s, ...]'


def _visible(text: str) -> list[str]:
    """The lines a terminal keeps: after each carriage return the text overwrites the line from its start (blanks
    included, as a bar is cleared); blank lines dropped."""
    kept = []
    for line in text.replace("\r\n", "\n").split("\n"):
        screen = ""
        for part in line.split("\r"):
            screen = part + screen[len(part):]
        if screen.strip():
            kept.append(screen.strip())
    return kept


def _symconv(argv, stderr_on_terminal=True, interrupt_when=None, timeout=300):
    """Run ``python -m symconv ARGV`` with stderr on a pseudo-terminal (120 × 30), or on a pipe.

    Returns (exit code, stdout, what stderr received). ``interrupt_when``: a text that, once it appears on
    stderr, is answered with SIGINT to the command's process group, as Ctrl-C sends it.
    """
    env = {key: value for key, value in os.environ.items() if key not in ("SYMCONV_DEBUG", "_ARGCOMPLETE")}
    command = [sys.executable, "-m", "symconv", *argv]
    if not stderr_on_terminal:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
        return result.returncode, result.stdout, result.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    # A group of its own, which SIGINT goes to as a whole, as a terminal's Ctrl-C goes to the foreground group.
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, cwd=ROOT,
                               env=env, start_new_session=True)
    os.close(slave)
    received, deadline, sent = b"", time.monotonic() + timeout, False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the other side closed: the process has ended
                    break
                if not chunk:
                    break
                received += chunk
            if interrupt_when is not None and not sent and interrupt_when in received.decode("utf-8", "replace"):
                os.killpg(process.pid, signal.SIGINT)
                sent = True
            if not ready and process.poll() is not None:
                break
        else:
            process.kill()
            pytest.fail(f"symconv {' '.join(argv)} did not end within {timeout} s")
        out = process.stdout.read().decode("utf-8") if process.stdout else ""
        process.wait(timeout=60)
    finally:
        os.close(master)
        if process.stdout:
            process.stdout.close()
    if interrupt_when is not None:
        assert sent, f"{interrupt_when!r} never appeared: {received[-400:]!r}"
    return process.returncode, out, received.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def tqdm_installed():
    pytest.importorskip("tqdm", reason="the progress bar needs tqdm: pip install 'symconv[progress]'")


# --- the command line -----------------------------------------------------------------

def test_a_bar_on_a_terminal_and_nothing_in_a_pipe(tqdm_installed):
    argv = ["scheme", "check", "tf-same"]
    code, out, err = _symconv(argv)
    assert code == 0 and BAR in err and "scheme check tf-same" in err and "step/s" in err, err
    assert "output size's shortest form" in err or "transposable: " in err, err  # what is being done (slow steps)
    assert _visible(err) == [], _visible(err)  # the bar is cleared when the work ends
    piped = _symconv(argv, stderr_on_terminal=False)
    assert piped == (0, out, "")


@pytest.mark.parametrize("option", ["--json", "--quiet"])
def test_no_bar_with_json_or_quiet(tqdm_installed, option):
    code, out, err = _symconv(["scheme", "check", "half", option])
    assert code == 0 and out and err == "", err


def test_graph_shows_its_stages_and_the_fixes_by_node(tqdm_installed):
    spec = "x = input [L]; a = pool k=2; u = tconv k=3 s=2 p=1; c = cat (x, u)"
    code, _, err = _symconv(["graph", spec, "-i", "9"])
    assert code == 1 and BAR in err, err
    assert "graph (4 nodes)" in err and "valid input sizes" in err and "fixes" in err and "Pool 'a'" in err, err
    assert _visible(err) == [], _visible(err)


def test_ctrl_c_gives_one_line_and_130(tqdm_installed):
    code, out, err = _symconv(["scheme", "check", "tf-same", "--bound", "256"], interrupt_when=BAR)
    assert code == 130, (code, err[-400:])
    assert _visible(err) == ["symconv: interrupted"], err[-600:]
    assert "Traceback" not in err and out == ""


def test_prove_shows_each_theorem(tqdm_installed):
    code, out, err = _symconv(["prove"])
    # the workers finish in any order and the bar redraws at most every 0.1 s: some theorem's name is shown
    assert code == 0 and BAR in err and "prove:" in err and re.search(r"relationship-\d|round-trip|gradient", err), \
        err[-400:]
    assert _visible(err) == [], _visible(err)
    assert _symconv(["prove"], stderr_on_terminal=False) == (0, out, "")


def test_ctrl_c_while_the_workers_prove(tqdm_installed):
    """The workers ignore SIGINT (a terminal sends it to all of them): no traceback from any of them."""
    code, out, err = _symconv(["prove"], interrupt_when="prove:")
    assert code == 130 and out == "", (code, err[-400:])
    assert _visible(err) == ["symconv: interrupted"], err[-1500:]


def test_ctrl_c_without_a_terminal_is_one_line_too():
    """SIGINT while the command works, whatever the machine's load: the child says on stderr when main() has
    started (after the imports), and the long scheme comparison then runs for many seconds."""
    started = "import sys; from symconv.cli import main; sys.stderr.write('started\\n'); sys.stderr.flush(); "
    command = [sys.executable, "-c", started + "sys.exit(main(['scheme', 'compare', '-i', '1..200']))"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stderr.readline() == "started\n"
    time.sleep(0.5)  # into the comparison
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert (process.returncode, out, err) == (130, "", "symconv: interrupted\n")


# --- the models' callbacks --------------------------------------------------------------

def _recorder():
    calls = []
    return calls, lambda task, item, done, total: calls.append((task, item, done, total))


def _well_formed(calls):
    """Each task counts up from 0 to its total, and says what it is doing until the end."""
    assert calls
    by_task: dict = {}
    for task, item, done, total in calls:
        by_task.setdefault(task, []).append((item, done, total))
    for task, seen in by_task.items():
        assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen), task
        assert seen[-1][1] == seen[-1][2] and seen[-1][0] == "", (task, seen[-1])
        assert all(item for item, done, total in seen[:-1] if done < total), task
    return by_task


def test_scheme_check_reports_each_claim():
    calls, hook = _recorder()
    report = check_scheme(scheme("tf-same"), progress=hook)
    tasks = _well_formed(calls)
    assert list(tasks) == ["scheme check tf-same"]
    items = [item for item, _, _ in tasks["scheme check tf-same"]]
    # the two sides, the claim, the transpose, output_padding's shortest form and the end; the output size's
    # shortest form is the proved claim's side, not a search of its own
    assert items[:2] == ["before >= 0", "after >= 0"] and len(items) == 6
    assert any(item.startswith("claim 1: ") for item in items)
    plain = check_scheme(scheme("tf-same"))  # the callback changes nothing
    assert report.output_size == plain.output_size
    assert [(c.status, c.counterexample) for c in report.claims] == [(c.status, c.counterexample) for c in plain.claims]


def test_a_shortest_form_searched_after_a_failed_claim_is_a_step_of_its_own():
    from symconv.schemes import declare

    wrong = declare("wrong", "k // 2", "k // 2", claims=["o == i"])  # false for even k: searched for afterwards
    calls, hook = _recorder()
    assert check_scheme(wrong, progress=hook).claims[0].status == "false"
    seen = _well_formed(calls)["scheme check wrong"]
    assert ("the output size's shortest form", seen[-1][1] - 1, seen[-1][2]) in seen


def test_scheme_compare_reports_each_scheme():
    calls, hook = _recorder()
    schemes = list(builtin_schemes().values())
    compare(schemes, 4, progress=hook)
    tasks = _well_formed(calls)
    assert [item for item, _, _ in tasks["scheme compare"]][:-1] == [s.name for s in schemes]


def test_graph_reports_stages_proofs_and_fix_candidates():
    calls, hook = _recorder()
    graph = parse_graph("x = input [L]; a = pool k=2; u = tconv k=3 s=2 p=1; c = cat (x, u)")
    report = analyse_graph(graph, 9, prove=True, progress=hook)
    tasks = _well_formed(calls)
    assert set(tasks) == {"graph (4 nodes)", "proofs", "fixes"}
    assert len(tasks["fixes"]) == report.fixes.tried + 1
    assert len(tasks["proofs"]) == len(report.proofs.claims) + 1
    assert any("ConvTranspose 'u'" in item for item, _, _ in tasks["fixes"])


def test_prove_all_reports_each_theorem():
    from symconv.guide.theorems import prove_all

    calls, hook = _recorder()
    names = ["round-trip", "a-range", "relationship-1"]
    proofs = prove_all(names, progress=hook)
    tasks = _well_formed(calls)
    assert [item for item, _, _ in tasks["prove"]] == names + [""]
    assert [p.name for p in proofs] == names


def test_the_display_is_none_off_a_terminal(tmp_path):
    from symconv.present.progress import progress_display

    with open(tmp_path / "log", "w") as stream, progress_display(enabled=True, stream=stream) as hook:
        assert hook is None
    with progress_display(enabled=False) as hook:
        assert hook is None


def test_render_reports_each_relationship_then_the_theorems_and_schemes():
    from symconv.guide.verification import Box
    from symconv.present.document import build_document

    calls, hook = _recorder()
    build_document(Box(4, 3, 2, 2), schemes=False, progress=hook)
    items = [item for item, _, _ in _well_formed(calls)["render"]]
    assert items[:2] == ["Relationship 1", "Relationship 2"] and items[-2:] == ["the padding schemes", ""]


def test_verify_reports_each_relationship_and_the_kronecker_form():
    from symconv.guide.verification import Box, verify

    calls, hook = _recorder()
    report = verify(Box(3, 2, 1, 1), progress=hook)
    items = [item for item, _, _ in _well_formed(calls)["verify"]]
    assert items[0] == "Relationship 1" and items[-2:] == ["the Kronecker form", ""] and len(items) == 17
    assert report.cases == verify(Box(3, 2, 1, 1)).cases  # the callback changes nothing


def test_verify_shows_progress_on_a_terminal_only(tqdm_installed):
    code, out, err = _symconv(["verify", "--bound", "12"])
    assert code == 0 and BAR in err and "verify" in err, err
