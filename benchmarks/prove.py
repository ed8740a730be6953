"""Time of `symconv prove` for every theorem (symbolic proof plus oracle enumeration).

Run: python benchmarks/prove.py
"""

import subprocess
import sys
import time

from symconv.proofs import prove_all


def main() -> None:
    start = time.perf_counter()
    proofs = prove_all()
    elapsed = time.perf_counter() - start
    statuses = {status: sum(p.status == status for p in proofs) for status in ("proved", "unproved", "disproved")}
    print(f"prove_all(): {len(proofs)} theorems in {elapsed:.2f} s: {statuses}")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symconv", "prove", "--json"], check=True, capture_output=True)
    print(f"`symconv prove` (whole process): {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
