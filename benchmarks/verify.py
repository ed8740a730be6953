"""Verification throughput and the cost of a numeric `symconv shape`.

Run: python benchmarks/verify.py
"""

import statistics
import subprocess
import sys
import time

from symconv.guide.catalogue import relationships
from symconv.guide.verification import Box, check_kronecker, check_relationship, verify


def throughput(kinds, box):
    start, cases = time.perf_counter(), 0
    for rel in relationships().values():
        if rel.kind in kinds:
            cases += check_relationship(rel, box).cases
    elapsed = time.perf_counter() - start
    return cases, elapsed


def main() -> None:
    box = Box()
    verify(box)  # warm caches (catalogue, compiled formulas are per call)
    cases, seconds = throughput({"convolution", "pooling"}, box)
    print(f"shape-only checks (1-7, 15):         {cases:6d} cases in {seconds:.2f} s = {cases / seconds:,.0f} cases/s")
    cases, seconds = throughput({"transposed"}, box)
    print(f"size + connectivity checks (8-14):   {cases:6d} cases in {seconds:.2f} s = {cases / seconds:,.0f} cases/s")
    start = time.perf_counter()
    kron = check_kronecker(box)
    print(f"2-D Kronecker sample:                {kron.cases:6d} cases in {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    report = verify(box)
    print(f"verify() on the default box:         {report.cases:6d} cases in {time.perf_counter() - start:.2f} s,"
          f" {report.failures} failures")

    command = [sys.executable, "-m", "symconv", "verify"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    print(f"`symconv verify` (whole process):    {time.perf_counter() - start:.2f} s")

    probe = ("import sys, time; t = time.perf_counter(); from symconv.cli import main; "
             "main(['shape', 'conv', '-i', '224', '-k', '7', '-s', '2', '-p', '3']); "
             "print('sympy imported:', 'sympy' in sys.modules, file=sys.stderr)")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
    print(f"`symconv shape conv ...` (process):  median {statistics.median(times) * 1000:.0f} ms over 5 runs; "
          f"{run.stderr.strip()}")


if __name__ == "__main__":
    main()
