"""Time of `symconv render --format all` (builds, proves, verifies and writes every document).

Run: python benchmarks/render.py
"""

import subprocess
import sys
import tempfile
import time


def main() -> None:
    with tempfile.TemporaryDirectory() as output:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "symconv", "render", "--format", "all", "--output", output],
                       check=True, capture_output=True)
        print(f"`symconv render --format all`: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
