"""`symconv figure` (a still SVG) and one animation each (animated SVG, GIF), as ratios to `python -c "import sympy"`.

The goal is under 1.5x each. A numeric figure comes from the oracle and never imports sympy,
so the yardstick is what every sympy-based command pays at start-up; an absolute time is not
stable from one machine to the next. Each command runs once to warm the caches, then `--runs`
times (at least 5), and the medians are compared. The GIF needs Pillow (pip install 'symconv[images]').

Run: python benchmarks/figure.py [--runs 5]
"""

import argparse
import importlib.util
import os
import sys
import tempfile

from timing import command_seconds

# The guide's Figure 2.6 (i = 5, k = 3, s = 2, p = 1) and a transposed layer with output padding.
LAYER = ["conv", "-i", "5", "-k", "3", "-s", "2", "-p", "1"]
TRANSPOSED = ["transposed", "-i", "3", "-k", "3", "-s", "2", "-p", "1", "--output-padding", "1"]


def _median_seconds(command: list[str], runs: int) -> float:
    return command_seconds(command, runs, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = max(5, parser.parse_args().runs)
    symconv = [sys.executable, "-m", "symconv", "figure"]
    with tempfile.TemporaryDirectory() as directory:
        cases = {
            "figure (svg)": LAYER + ["-o", os.path.join(directory, "still.svg")],
            "figure (tikz)": TRANSPOSED + ["-o", os.path.join(directory, "still.tex")],
            "animation (animated-svg)": TRANSPOSED + ["--format", "animated-svg",
                                                      "-o", os.path.join(directory, "moving.svg")],
        }
        if importlib.util.find_spec("PIL") is not None:
            cases["figure (png)"] = LAYER + ["-o", os.path.join(directory, "still.png")]
            cases["animation (gif)"] = TRANSPOSED + ["-o", os.path.join(directory, "moving.gif")]
        else:
            print("Pillow is not installed: no PNG or GIF (pip install 'symconv[images]')")
        sympy_time = _median_seconds([sys.executable, "-c", "import sympy"], runs)
        print(f"python -c 'import sympy': {sympy_time:.3f} s (median of {runs})")
        for name, argv in cases.items():
            seconds = _median_seconds(symconv + argv, runs)
            size = os.path.getsize(argv[-1])
            print(f"symconv {name:<26} {seconds:.3f} s = {seconds / sympy_time:.2f}x import sympy ({size} bytes)")


if __name__ == "__main__":
    main()
