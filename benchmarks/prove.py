"""`symconv prove` for every theorem, as a ratio to `python -c "import sympy"`, timed in the same run.

Every theorem goes through the whole pipeline: the search for a certificate, the
independent checker, z3's second opinion and the enumeration against the oracle.
The yardstick is importing sympy, which every sympy-based command pays; an
absolute time is not stable from one machine to the next. Each command runs once
to warm the caches, then `--runs` times (at least 5), and the medians are compared.

Run: python benchmarks/prove.py [--runs 5]
"""

import argparse
import json
import subprocess
import sys

from timing import command_seconds


def _median_seconds(command: list[str], runs: int) -> float:
    return command_seconds(command, runs, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = max(5, parser.parse_args().runs)
    prove = [sys.executable, "-m", "symconv", "prove", "--json"]
    output = subprocess.run(prove, capture_output=True, text=True)
    data = json.loads(output.stdout)
    statuses = {}
    for proof in data["proofs"]:
        statuses[proof["status"]] = statuses.get(proof["status"], 0) + 1
    verdicts = {}
    for proof in data["proofs"]:
        verdict = proof["smt"]["verdict"] if proof["smt"] else "none"
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    checked = sum(proof["checked"] for proof in data["proofs"])
    sympy_time = _median_seconds([sys.executable, "-c", "import sympy"], runs)
    prove_time = _median_seconds(prove, runs)
    print(f"theorems: {len(data['proofs'])}; statuses {statuses}; certificates checked {checked}; z3 {verdicts}")
    print(f"python -c 'import sympy': {sympy_time:.3f} s (median of {runs})")
    print(f"symconv prove:            {prove_time:.3f} s (median of {runs})"
          f" = {prove_time / sympy_time:.1f}x import sympy")


if __name__ == "__main__":
    main()
