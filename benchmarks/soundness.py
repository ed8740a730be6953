"""Soundness and reach of `prove` on a generated corpus, judged by an independent evaluator.

Goals: no false (or malformed) statement proved; at least 90% of the true ones proved.
The corpus and the judge are in tests/statements.py; every item is the same for a seed.

Run: python benchmarks/soundness.py [--n 1000] [--seed 0] [--workers 2] [--budget 30]
     [--prover module:function]
Against the first prover, from a copy of an older commit: PYTHONPATH=/path/to/copy python benchmarks/soundness.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import statements  # noqa: E402  (tests/ is not a package)

STATUSES = ("proved", "unproved", "disproved", "conflict", "error", "crash", "budget")


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.1f}%)" if whole else f"{part} of 0"


def report(outcomes: list[statements.Outcome], show: int) -> str:
    lines = []
    well_formed = [o for o in outcomes if not o.malformed]
    false = [o for o in well_formed if not o.truth]
    true = [o for o in well_formed if o.truth]
    malformed = [o for o in outcomes if o.malformed]
    false_proved = [o for o in false if o.status == "proved"]
    lines.append(f"false statements proved:   {_share(len(false_proved), len(false))}   (goal 0)")
    lines.append(f"malformed theorems proved: "
                 f"{_share(sum(o.status == 'proved' for o in malformed), len(malformed))}   (goal 0)")
    lines.append(f"true statements proved:    {_share(sum(o.status == 'proved' for o in true), len(true))}"
                 "   (goal >= 90%)")
    faults = Counter(code for o in outcomes for code, _ in o.problems)
    lines.append("faults: " + ", ".join(f"{code} {faults[code]}" for code in
                                        ("false-proved", "malformed-proved", "bad-counterexample",
                                         "checked-mismatch", "conflict")))
    counts = Counter(o.status for o in outcomes)
    lines.append("by status: " + ", ".join(f"{status} {counts[status]}" for status in STATUSES))

    lines.append("")
    header = f"{'family':<22}{'items':>6}{'true':>6}{'proved':>8}{'false':>7}{'proved':>8}" \
             f"{'disproved':>11}{'unproved':>10}{'other':>7}{'median s':>10}"
    lines.append(header)
    for family in statements.FAMILIES:
        rows = [o for o in outcomes if o.family == family]
        if not rows:
            continue
        mine = Counter(o.status for o in rows)
        true_rows = [o for o in rows if not o.must_not_prove]
        lines.append(
            f"{family:<22}{len(rows):>6}{len(true_rows):>6}{sum(o.status == 'proved' for o in true_rows):>8}"
            f"{len(rows) - len(true_rows):>7}{sum(o.status == 'proved' and o.must_not_prove for o in rows):>8}"
            f"{mine['disproved']:>11}{mine['unproved']:>10}"
            f"{sum(mine[s] for s in ('conflict', 'error', 'crash', 'budget')):>7}"
            f"{statistics.median(o.seconds for o in rows):>10.3f}")
    lines.append("(true: well-formed true items; false: false or malformed items, which must not be proved;"
                 " other: conflict, error, crash, budget)")
    for label, chosen in (("regular", [o for o in outcomes if not o.adversarial]),
                          ("adversarial", [o for o in outcomes if o.adversarial])):
        bad = sum(o.status == "proved" and o.must_not_prove for o in chosen)
        good = [o for o in chosen if not o.must_not_prove]
        lines.append(f"{label}: {len(chosen)} items, false proved {bad}, "
                     f"true proved {_share(sum(o.status == 'proved' for o in good), len(good))}")

    seconds = [o.seconds for o in outcomes]
    lines.append("")
    lines.append(f"seconds per proof: median {statistics.median(seconds):.3f}, max {max(seconds):.3f}, "
                 f"total {sum(seconds):.1f}")
    lines.append("slowest:")
    for o in sorted(outcomes, key=lambda o: -o.seconds)[:show]:
        lines.append(f"  {o.seconds:7.2f} s  {o.name:<12} {o.status:<10} {o.family}: {o.variant}")
    wrong = [o for o in outcomes if o.status == "proved" and o.must_not_prove]
    if wrong:
        lines.append("proved but false or malformed:")
        lines += [f"  {o.name:<12} {o.family}: {o.variant}" for o in wrong[:max(show, 20)]]
    others = [o for o in outcomes if o.problems and not (o.status == "proved" and o.must_not_prove)]
    other_faults = [message for o in others for code, message in o.problems if code != "checked-mismatch"]
    if other_faults:
        lines.append("other faults:")
        lines += [f"  {message}" for message in other_faults[:show]]
    odd = [o for o in outcomes if o.status in ("crash", "budget", "conflict")]
    if odd:
        lines.append("crashes, budget failures, conflicts:")
        lines += [f"  {o.name:<12} {o.status:<8} {o.family}: {o.variant}: {o.detail[:160]}" for o in odd[:show]]
    return "\n".join(lines)


def cli(args=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="items in the corpus (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per proof before it counts as a "
                                                                    "budget failure (default 30)")
    parser.add_argument("--prover", default=statements.DEFAULT_PROVER, help="module:function (default %(default)s)")
    parser.add_argument("--show", type=int, default=8, help="how many slowest items and faults to list")
    return parser.parse_args(args)


def main(args=None) -> int:
    options = cli(args)
    done = Counter()

    def progress(outcome):
        done["n"] += 1
        if done["n"] % 100 == 0:
            print(f"  {done['n']}/{options.n}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    outcomes = statements.run_corpus(options.n, options.seed, options.workers, options.budget, options.prover,
                                     progress)
    elapsed = time.perf_counter() - start
    adversarial = sum(o.adversarial for o in outcomes)
    print(f"soundness of {options.prover}: {options.n} items, seed {options.seed}, {adversarial} adversarial; "
          f"{options.workers} workers, {options.budget:g} s budget; {elapsed:.1f} s in all")
    print(report(outcomes, options.show))
    return 1 if any(o.status == "proved" and o.must_not_prove for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
