"""Every command of issue 13's table, as a ratio to `python -c "import sympy"`, timed in the same rounds.

Each row runs the `symconv` CLI in a subprocess of this interpreter (`python -m symconv ...`). The rows run in
rounds: a warm-up round (it warms the operating system's caches and writes the bytecode), then `--runs` rounds
(at least 5), each of which runs the yardstick `python -c "import sympy"` and then every row once. A row's ratio is
the median, over the rounds, of its time divided by the yardstick's time in the same round: the speed of a shared
machine drifts from one minute to the next, and a ratio taken within a round follows it. An absolute time is not
stable from one machine to the next; the ratio is.

- Every run of a row starts with an empty proof cache of its own (SYMCONV_CACHE_DIR), except the two "again"
  rows: "render again, nothing changed" renders into the same directory with the cache that the cold render of the
  same round filled, and "scheme check tf-same again" checks with the certificates that the cold check of the same
  round stored (each is re-checked before it is used). The cold rows measure the engine, the warm rows what the
  caches save.
- "render, every proof cached" is a third warm row, a bound rather than a goal: it keeps the certificates of the
  round's cold render but drops its rendered files and its render cache, so it builds every document again with
  no search at all (each certificate re-checked). It is as fast as `render` cold could be with a search that cost
  nothing.
- The verify row runs under a memory limit (RLIMIT_AS, `--memory-limit`, 1.5 GiB by default) and a time limit: a
  run that exceeds either is reported as over budget, not left to eat the machine. It runs once, after the rounds
  (it is long), and its peak memory is reported beside its time.
- The processor time of each run (user and system, the command's worker processes included) is reported beside
  its wall-clock time: a command spread over the cores shows more processor time than seconds, and on a busy
  machine the processor time moves less than the wall clock.
- The peak resident memory of every child is reported too (the largest of its runs).
- Children run with bytecode written and read (PYTHONDONTWRITEBYTECODE is dropped), as an installed package
  does: pip compiles it at install time. Without it, every run recompiles symconv's sources (~0.04 s here).

Run: python benchmarks/commands.py [--runs 5] [--only prove,render] [--memory-limit 1.5] [--time-limit 600]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Optional

UNET = ("conv k=3 p=1 @e1; pool k=2; conv k=3 p=1 @e2; pool k=2; conv k=3 p=1 @e3; pool k=2; conv k=3 p=1 @e4; "
        "pool k=2; conv k=3 p=1; tconv k=2 s=2 @d4; conv k=3 p=1; tconv k=2 s=2 @d3; conv k=3 p=1; "
        "tconv k=2 s=2 @d2; conv k=3 p=1; tconv k=2 s=2 @d1 | e4=d4, e3=d3, e2=d2, e1=d1")


@dataclass
class Row:
    """One line of the table: a command, its goal as a ratio (None: keep what it is), and how to run it."""

    key: str
    label: str
    args: list[str]
    goal: Optional[float]
    goal_text: str
    once: bool = False  #: long: one timed run after no warm-up
    limited: bool = False  #: under the memory and time limits
    warm: bool = False  #: reuse the previous row's cache and output directory
    forget: tuple[str, ...] = ()  #: a warm row's cache subdirectories dropped, with its output, before each run
    seconds: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  #: each run over the yardstick's run of its round
    cpu: list[float] = field(default_factory=list)  #: processor seconds of each run, workers included
    peak_kib: int = 0
    failure: str = ""


@dataclass
class Scratch:
    """The directories a row runs in: its own cache and output."""

    root: str
    cache: str = ""
    output: str = ""

    def fresh(self) -> None:
        for name in ("cache", "output"):
            path = getattr(self, name)
            if path:
                shutil.rmtree(path, ignore_errors=True)
        self.cache = tempfile.mkdtemp(prefix="cache-", dir=self.root)
        self.output = os.path.join(tempfile.mkdtemp(prefix="out-", dir=self.root), "derivations")


def rows() -> list[Row]:
    cli = [sys.executable, "-m", "symconv"]
    return [
        Row("sympy", 'python -c "import sympy" (the yardstick)', [sys.executable, "-c", "import sympy"], 1.0, "1×"),
        Row("shape", "numeric `symconv shape` (sympy never imported)",
            cli + ["shape", "conv", "-i", "224", "-k", "7", "-s", "2", "-p", "3"], None, "keep (0.1×)"),
        Row("list", "`symconv list`", cli + ["list"], 1.3, "≤ 1.3×"),
        Row("show", "`symconv show 14`", cli + ["show", "14"], 1.3, "≤ 1.3×"),
        Row("transpose", "`symconv transpose -k 3 -s 2 -p 1 -i 6`",
            cli + ["transpose", "-k", "3", "-s", "2", "-p", "1", "-i", "6"], 1.3, "≤ 1.3×"),
        Row("net", "`symconv net` (4-level U-Net, alignment included)", cli + ["net", UNET, "-i", "89"], 1.5, "≤ 1.5×"),
        Row("scheme", "`symconv scheme check tf-same`", cli + ["scheme", "check", "tf-same"], 3.0, "≤ 3×"),
        Row("scheme-again", "`symconv scheme check tf-same` again, its proofs cached",
            cli + ["scheme", "check", "tf-same"], None, "(not in the issue)", warm=True),
        Row("prove", "`symconv prove` (every theorem)", cli + ["prove"], 3.0, "≤ 3×"),
        Row("render", "`symconv render --format all`, cold", cli + ["render", "--format", "all", "--output", "{out}"],
            6.0, "≤ 6×"),
        Row("render-again", "`symconv render` again, nothing changed",
            cli + ["render", "--format", "all", "--output", "{out}"], 1.5, "≤ 1.5×", warm=True),
        Row("render-proved", "`symconv render --format all`, every proof cached, documents cold",
            cli + ["render", "--format", "all", "--output", "{out}"], None, "(a bound, not in the issue)",
            warm=True, forget=("render",)),
        Row("verify", "`symconv verify --bound 200 --max-kernel-size 8`",
            cli + ["verify", "--bound", "200", "--max-kernel-size", "8"], None, "under 1 GiB, time reported",
            once=True, limited=True),
    ]


@dataclass(frozen=True)
class Run:
    """One run of a command: wall-clock seconds, processor seconds, peak resident memory, what went wrong."""

    seconds: float
    cpu: float
    peak_kib: int
    failure: str = ""


def run_once(row: Row, scratch: Scratch, memory_limit: int, time_limit: float) -> Run:
    """One run of ``row``, in ``scratch``'s cache and output directories."""
    env = {**os.environ, "SYMCONV_CACHE_DIR": scratch.cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode; the warm-up writes it
    env.pop("SYMCONV_NO_CACHE", None)
    command = [part.replace("{out}", scratch.output) for part in row.args]

    def limit() -> None:  # in the child, before it runs anything
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env,
                                 preexec_fn=limit if row.limited else None)
        deadline = start + (time_limit if row.limited else 3600.0)
        failure = ""
        while True:  # os.wait4 gives this child's own peak memory and processor time (with its workers')
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                failure = f"over the time budget ({time_limit:.0f} s)"
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        said = errors.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    if not failure and (code < 0 or "MemoryError" in said or "Cannot allocate memory" in said):
        failure = f"killed/over budget ({memory_limit / 2**30:.1f} GiB)"
    elif not failure and code not in (0, 1):  # 1 is a finding (a misalignment, a failed claim), a finished run
        failure = f"exit {code}: {said.strip().splitlines()[-1][:80] if said.strip() else ''}"
    return Run(seconds, cpu, usage.ru_maxrss, failure)


def measure(row: Row, scratch: Scratch, memory_limit: int, time_limit: float, timed: bool) -> Optional[Run]:
    """One run of ``row``, kept when ``timed`` (a warm-up run is not); a cold row starts from an empty cache."""
    if row.failure:
        return None
    if not row.warm:
        scratch.fresh()
    for name in row.forget:
        shutil.rmtree(os.path.join(scratch.cache, name), ignore_errors=True)
    if row.forget:
        shutil.rmtree(scratch.output, ignore_errors=True)
    run = run_once(row, scratch, memory_limit, time_limit)
    row.peak_kib = max(row.peak_kib, run.peak_kib)
    row.failure = run.failure
    if timed and not run.failure:
        row.seconds.append(run.seconds)
        row.cpu.append(run.cpu)
    return run


def table(measured: list[Row]) -> str:
    lines = ["| command | seconds | processor s | ratio | goal | met | peak MiB |",
             "| --- | ---: | ---: | ---: | --- | --- | ---: |"]
    for row in measured:
        median = statistics.median(row.seconds) if row.seconds else float("nan")
        cpu = f"{statistics.median(row.cpu):.2f}" if row.cpu else "—"
        ratio = statistics.median(row.ratios) if row.ratios else float("nan")
        if row.failure:
            shown, times, met = row.failure, f"{median:.2f}" if row.seconds else "—", "no"
        else:
            shown, times = f"{ratio:.2f}×", f"{median:.2f}"
            if row.key == "verify":
                shown = "—"
                met = "yes" if row.peak_kib < 2**20 else "no"
            else:
                met = "—" if row.goal is None or row.key == "sympy" else ("yes" if ratio <= row.goal else "no")
        lines.append(f"| {row.label} | {times} | {cpu} | {shown} | {row.goal_text} | {met} | "
                     f"{row.peak_kib / 1024:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed rounds, at least 5 (default 5)")
    parser.add_argument("--only", default=None, help="comma-separated row keys, e.g. prove,render,render-again")
    parser.add_argument("--memory-limit", type=float, default=1.5, help="GiB of address space for verify")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for verify")
    options = parser.parse_args()
    if options.runs < 5:
        parser.error(f"--runs {options.runs}: the median needs at least 5 timed rounds")
    if options.memory_limit <= 0 or options.time_limit <= 0:
        parser.error(f"--memory-limit {options.memory_limit}, --time-limit {options.time_limit}: both must be "
                     "positive")
    runs = options.runs
    chosen = rows()
    if options.only:
        keys = {"sympy", *options.only.split(",")}
        for warm, cold in (("render-again", "render"), ("render-proved", "render"), ("scheme-again", "scheme")):
            if warm in keys:
                keys.add(cold)  # it reuses what the cold run of its round left
        unknown = keys - {row.key for row in chosen}
        if unknown:
            parser.error(f"--only: unknown rows {sorted(unknown)}; known: {[row.key for row in chosen]}")
        chosen = [row for row in chosen if row.key in keys]
    memory_limit = int(options.memory_limit * 2**30)
    rounds, once = [row for row in chosen if not row.once], [row for row in chosen if row.once]
    yardstick = rounds[0]
    with tempfile.TemporaryDirectory(prefix="symconv-bench-") as root:
        scratches: dict[str, Scratch] = {}
        for before, row in zip([None, *chosen], chosen):  # a warm row runs where the cold row before it ran
            scratches[row.key] = scratches[before.key] if row.warm and before is not None else Scratch(root)
        for number in range(runs + 1):  # round 0 is the warm-up
            base = measure(yardstick, scratches[yardstick.key], memory_limit, options.time_limit, number > 0)
            for row in rounds[1:]:
                run = measure(row, scratches[row.key], memory_limit, options.time_limit, number > 0)
                if number > 0 and run is not None and base is not None and not run.failure:
                    row.ratios.append(run.seconds / base.seconds)
            if number > 0:
                print(f"  round {number}: " + ", ".join(f"{row.key} {row.seconds[-1]:.2f}"
                                                       for row in rounds if row.seconds), file=sys.stderr, flush=True)
        yardstick.ratios = [1.0] * len(yardstick.seconds)
        for row in once:
            measure(row, scratches[row.key], memory_limit, options.time_limit, True)
            print(f"  {row.key}: " + (f"{row.seconds[-1]:.2f} s" if row.seconds else "—") + f" {row.failure}",
                  file=sys.stderr, flush=True)
    print(f"python {sys.version.split()[0]} ({sys.executable}); {runs} rounds after a warm-up round, each row's "
          f"ratio the median of its ratios to the yardstick in the same round (verify: one run); yardstick "
          f"`import sympy` = {statistics.median(yardstick.seconds):.3f} s (median); {os.cpu_count()} cores")
    print(table(chosen))


if __name__ == "__main__":
    main()
