"""The interactive page: its generated arithmetic, its refusal table, and the page itself in a headless Chromium.

The refusal table is checked against the Python validation of ``symconv.guide.shapes`` over a box, through
sympy's own evaluation (not the page's JavaScript). In the browser, one page load is driven through its
inputs on a few hundred parameter sets, and the size and refusals it shows are compared with
``conv_output_size``, ``pool_output_size`` and ``transposed_output_size``; the figure's geometry is compared
with the brute-force oracle's connectivity matrix C, whose transpose is the transposed convolution.
"""

from __future__ import annotations

import base64
import itertools
import random
import shutil
import tempfile
from pathlib import Path

import pytest
import sympy

from symconv import ParameterError, conv_output_size, pool_output_size, transposed_output_size
from symconv.cli import main
from symconv.core import oracle
from symconv.core import symbols as S
from symconv.core.errors import SymconvError
from symconv.present.html import _modes, javascript, page_script, rules_table, substituted
from symconv.present.render import MARKER, render_html_page

ROOT = Path(__file__).resolve().parent.parent
SYMBOLS = (S.i, S.k, S.s, S.d, S.p_l, S.p_r, S.a)
MODES = ("conv", "pool", "pool-ceil", "transposed")


def _python_size(mode: str, case: dict) -> int:
    """What symconv's Python API says, or the ParameterError it raises."""
    i, k, s, pl, pr, d, a = (case[name] for name in ("i", "k", "s", "pl", "pr", "d", "a"))
    if mode == "conv":
        return conv_output_size(i, k, s, (pl, pr), d)
    if mode in ("pool", "pool-ceil"):
        return pool_output_size(i, k, s, (pl, pr), d, ceil_mode=mode == "pool-ceil")
    return transposed_output_size(i, k, s, (pl, pr), d, a)


def _box(mode: str):
    for i, k, s, pl, pr, d in itertools.product(range(1, 8), range(1, 6), range(1, 4), range(4), range(4), range(1, 4)):
        for a in range(4) if mode == "transposed" else (0,):
            yield {"i": i, "k": k, "s": s, "pl": pl, "pr": pr, "d": d, "a": a}


# ---------------------------------------------------------------- generated code, without a browser


@pytest.mark.parametrize("expr", [S.i / S.s, sympy.Rational(1, 2) * S.i, S.s ** -1, sympy.Float(0.5) * S.k,
                                  sympy.Symbol("z")])
def test_printer_refuses_what_is_not_integer_arithmetic(expr):
    with pytest.raises(SymconvError):
        javascript(expr)


def test_printer_prints_exact_divisions():
    assert javascript(sympy.floor((S.i - 1) / 2)) == "floorDiv(v.i - 1, 2)"
    assert javascript(sympy.floor(S.i / 2 - sympy.Rational(1, 2))) == "floorDiv(v.i - 1, 2)"
    assert javascript(sympy.ceiling((S.i + S.p_l) / S.s)) == "ceilDiv(v.i + v.pl, v.s)"
    assert javascript(sympy.floor(S.i + S.k)) == "v.i + v.k"
    assert javascript(sympy.Max(S.s, S.d)) == "Math.max(v.d, v.s)"


def test_substituted_formulas_keep_products_visible():
    pieces = substituted(2 * S.p_l + S.i)
    assert "".join(p if isinstance(p, str) else "<" + p["v"] + ">" for p in pieces) == "<i> + 2·<pl>"
    joined = "".join(p if isinstance(p, str) else "7" for p in substituted(S.s * (S.i_prime - 1) + S.a))
    assert joined == "7·(7 - 1) + 7"


@pytest.mark.parametrize("mode", MODES)
def test_refusal_table_is_the_python_validation(mode):
    """The first PyTorch row that holds is the error shapes raises, with its message; none holds when it accepts."""
    rows = [rule for rule in rules_table() if mode in rule.modes and rule.enforced]
    def compiled_(expr):  # sympy's evaluation, independent of the page's printer; i' is read from i
        return sympy.lambdify(SYMBOLS, sympy.sympify(expr).xreplace({S.i_prime: S.i}), "math")

    compiled = [(compiled_(rule.when), [part if isinstance(part, str) else compiled_(part) for part in rule.message],
                 rule) for rule in rows]
    refused = accepted = 0
    for case in _box(mode):
        values = tuple(case[name] for name in ("i", "k", "s", "d", "pl", "pr", "a"))
        hits = [(message, rule) for when, message, rule in compiled if when(*values)]
        try:
            _python_size(mode, case)
        except ParameterError as error:
            refused += 1
            assert hits, f"{mode} {case}: shapes raises {error}, the table has no row for it"
            message, rule = hits[0]
            text = "".join(part if isinstance(part, str) else str(part(*values)) for part in message)
            assert text == error.rule, (mode, case)
            assert error.name == rule.parameter or error.name == "padding" == rule.parameter[:7], (mode, case)
        else:
            accepted += 1
            assert not hits, f"{mode} {case}: shapes accepts, the table refuses ({hits[0][1].parameter})"
    assert refused > 100 and accepted > 100


def test_page_is_one_small_file_that_fetches_nothing(tmp_path):
    assert main(["render", "--format", "html", "--output", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert MARKER in page[:400]
    assert len(page.encode("utf-8")) < 500_000
    for fetching in (" src=", " href=", "url(", "@import", "fetch(", "XMLHttpRequest", "import(", "<link", "<iframe"):
        assert fetching not in page, fetching
    assert page_script() in page


def _functions(value):
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _functions(item)
    elif isinstance(value, str) and value.startswith("(v"):
        yield value


def test_generated_functions_divide_only_exactly():
    functions = list(_functions(_modes()))
    assert len(functions) > 40
    for code in functions:
        assert "/" not in code and "Math.floor" not in code and "%" not in code, code


def test_page_is_rendered_through_a_user_template(tmp_path):
    (tmp_path / "page.html.j2").write_text('{% extends "symconv/page.html.j2" %}\n'
                                           "{% block intro %}<h1>Our own {{ '<title>' }}</h1>{% endblock %}\n")
    page = render_html_page(tmp_path)
    assert "<h1>Our own &lt;title&gt;</h1>" in page and "floorDiv(" in page


def test_committed_page_is_current():
    committed = ROOT / "derivations" / "index.html"
    assert committed.exists() and committed.read_text(encoding="utf-8") == render_html_page(), \
        "derivations/index.html is out of date: run `symconv render` to update"


# ---------------------------------------------------------------- the page in a headless Chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium drives the headless Chromium")
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium.webdriver.chrome.service import Service

    folder = tmp_path_factory.mktemp("page")
    (folder / "index.html").write_text(render_html_page(), encoding="utf-8")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="symconv-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1200,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(120)
    try:
        driver.get((folder / "index.html").as_uri())
        yield driver
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# Sets the page's inputs as typing would, then fires the event the page listens to, and reads what it shows.
DRIVE = """
const cases = arguments[0], results = [];
const $ = (id) => document.getElementById(id);
for (const c of cases) {
  $("kind").value = c.kind;
  $("ceil").checked = c.ceil;
  for (const name of ["i", "k", "s", "pl", "pr", "d", "a"]) $(name).value = String(c[name]);
  $("i").dispatchEvent(new Event("input", {bubbles: true}));
  results.push({size: $("size").textContent, status: $("size").dataset.status,
                rules: Array.from($("rules").children, (li) => li.textContent),
                formula: $("quantities").firstChild ? $("quantities").firstChild.firstChild.textContent : ""});
}
return results;
"""


def _padding(rng: random.Random, kind: str, k: int) -> int:
    # Pools mostly within PyTorch's half-kernel limit, so that most of them are accepted.
    return rng.randint(0, k // 2 + (rng.random() < 0.15)) if kind == "pool" else rng.randint(0, 4)


def _cases(count: int, seed: int = 12) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for index in range(count):
        kind = ("conv", "pool", "transposed")[index % 3]
        k = rng.randint(1, 6)
        cases.append({"kind": kind, "ceil": kind == "pool" and rng.random() < 0.5, "i": rng.randint(1, 24), "k": k,
                      "s": rng.randint(1, 4), "pl": _padding(rng, kind, k), "pr": _padding(rng, kind, k),
                      "d": rng.randint(1, 3), "a": rng.randint(0, 3) if kind == "transposed" else 0})
    return cases


def test_sizes_and_refusals_match_symconv(browser):
    cases = _cases(360)
    shown = browser.execute_script(DRIVE, cases)
    tally = {"ok": 0, "refused": 0}
    for case, page in zip(cases, shown):
        mode = "pool-ceil" if case["ceil"] else case["kind"]
        try:
            size = _python_size(mode, case)
        except ParameterError as error:
            tally["refused"] += 1
            assert page["status"] == "refused" and page["size"] == "refused", (case, page)
            assert page["rules"][0].startswith("PyTorch refuses") and page["rules"][0].endswith(": " + error.rule), \
                (case, page["rules"], error.rule)
        else:
            tally["ok"] += 1
            assert page["status"] == "ok" and page["size"] == str(size), (case, page)
            assert page["formula"].endswith(f" = {size}"), (case, page["formula"])
            assert not any(rule.startswith("PyTorch refuses") for rule in page["rules"]), (case, page)
    assert tally["ok"] >= 200 and tally["refused"] >= 40, tally


@pytest.mark.parametrize("case, expected", [
    ({"kind": "transposed", "ceil": False, "i": 4, "k": 3, "s": 1, "pl": 0, "pr": 0, "d": 2, "a": 2},
     ["PyTorch refuses output_padding = 2: output_padding must be at least 0 and smaller than max(stride, dilation) = 2",
      "ONNX Runtime and Keras refuse output_padding = 2: output_padding must be smaller than stride = 1"
      " (PyTorch allows up to max(stride, dilation) - 1)"]),
    ({"kind": "transposed", "ceil": False, "i": 4, "k": 3, "s": 1, "pl": 0, "pr": 0, "d": 2, "a": 1},
     ["ONNX Runtime and Keras refuse output_padding = 1: output_padding must be smaller than stride = 1"
      " (PyTorch allows up to max(stride, dilation) - 1)", "PyTorch accepts these parameters."]),
    ({"kind": "pool", "ceil": False, "i": 5, "k": 3, "s": 2, "pl": 2, "pr": 1, "d": 1, "a": 0},
     ["PyTorch refuses padding[0] = 2: pooling padding must be at most half the kernel size (3), as PyTorch requires"]),
    ({"kind": "conv", "ceil": False, "i": 2, "k": 3, "s": 1, "pl": 0, "pr": 0, "d": 1, "a": 0},
     ["PyTorch refuses input_size = 2: no kernel position fits: i + p_l + p_r = 2 < d(k - 1) + 1 = 3"]),
    ({"kind": "pool", "ceil": True, "i": 3, "k": 2, "s": 2, "pl": 1, "pr": 1, "d": 1, "a": 0},
     ["onnx shape inference (opset ≤ 21) gives: ⌈(i + p_l + p_r - d(k - 1) - 1)/s⌉ + 1 = 3, keeping a last window"
      " that starts in the right padding; PyTorch and onnxruntime drop it", "PyTorch accepts these parameters."]),
    ({"kind": "transposed", "ceil": False, "i": 1, "k": 1, "s": 1, "pl": 1, "pr": 0, "d": 1, "a": 0},
     ["PyTorch refuses: the transposed output size s(i' - 1) - p_l - p_r + d(k - 1) + a + 1 = 0 must be at least 1"]),
])
def test_refusals_read_as_the_frameworks_say_them(browser, case, expected):
    (page,) = browser.execute_script(DRIVE, [case])
    assert page["rules"] == expected


def test_invalid_input_is_named(browser):
    case = {"kind": "conv", "ceil": False, "i": 5, "k": 0, "s": 1, "pl": 0, "pr": 0, "d": 1, "a": 0}
    (page,) = browser.execute_script(DRIVE, [case])
    assert page["status"] == "invalid"
    assert page["rules"] == ["k (kernel) = 0 is invalid: it must be an integer from 1 to 256"]


def test_integer_helpers_have_python_semantics(browser):
    numbers = [*range(-40, 41), 2**52 - 1, -(2**52) + 1, 2**53 - 7, -(2**53) + 7]
    divisors = [*range(-9, 0), *range(1, 10), 64, 4096]
    got = browser.execute_script("""
        const [numbers, divisors] = arguments, out = [];
        for (const a of numbers) for (const b of divisors) out.push([floorDiv(a, b), ceilDiv(a, b), pyMod(a, b)]);
        return out;""", numbers, divisors)
    want = [[a // b, -(-a // b), a % b] for a in numbers for b in divisors]
    assert got == want


# For each case, the pairs the page's figure joins: (output, input unit, weight), from its geometry functions.
JOINS = """
const [mode, cases] = arguments, g = SYMCONV.modes[mode].geometry, out = [];
for (const v of cases) {
  const joins = [], columns = new Map();
  for (let x = 0; x < g.units(v); x++) columns.set(g.column(v, x), x);
  for (let j = 0; j < g.count(v); j++) for (let t = 0; t < v.k; t++) {
    const c = g.tap(v, j, t);
    if (c >= 0 && c < g.extent(v) && SYMCONV.roles[g.role(v, c)] === "input") joins.push([j, columns.get(c), g.kernel(v, t)]);
  }
  out.push(joins);
}
return out;
"""


def test_figure_geometry_is_the_oracles_connectivity(browser):
    """Direct: the taps land where C says. Transposed: the page's equivalent convolution joins what Cᵀ joins."""
    direct = [{"i": i, "k": k, "s": s, "pl": pl, "pr": pr, "d": d, "a": 0}
              for i, k, s, pl, pr, d in itertools.product(range(1, 9), range(1, 5), range(1, 4), range(3), range(3),
                                                           range(1, 3))
              if i + pl + pr >= d * (k - 1) + 1]
    for case, joins in zip(direct, browser.execute_script(JOINS, "conv", direct)):
        matrix = oracle.connectivity(case["i"], case["k"], case["s"], (case["pl"], case["pr"]), case["d"])
        assert sorted(map(tuple, joins)) == sorted((j, x, int(matrix[j, x])) for j, x in zip(*(matrix >= 0).nonzero()))
    transposed = []
    for size, k, s, pl, pr, d in itertools.product(range(1, 10), range(1, 5), range(1, 4), range(3), range(3), range(1, 3)):
        if size + pl + pr < d * (k - 1) + 1:
            continue
        matrix = oracle.connectivity(size, k, s, (pl, pr), d)  # outputs x inputs of the direct convolution
        a = (size + pl + pr - d * (k - 1) - 1) % s
        transposed.append(({"i": matrix.shape[0], "k": k, "s": s, "pl": pl, "pr": pr, "d": d, "a": a}, matrix))
    shown = browser.execute_script(JOINS, "transposed", [case for case, _ in transposed])
    for (case, matrix), joins in zip(transposed, shown):
        # output j of the transposed convolution is input j of the direct one; its input x is the direct output x
        assert sorted(map(tuple, joins)) == sorted((j, x, int(matrix[x, j])) for x, j in zip(*(matrix >= 0).nonzero())), case
    assert len(direct) > 300 and len(transposed) > 300


PIXELS = """
const [png, done] = [arguments[0], arguments[arguments.length - 1]];
const image = new Image();
image.onload = () => {
  const canvas = document.createElement("canvas");
  canvas.width = image.width; canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data, colours = new Set();
  let sum = 0, squares = 0;
  for (let n = 0; n < data.length; n += 4) {
    const grey = (data[n] + data[n + 1] + data[n + 2]) / 3;
    sum += grey; squares += grey * grey;
    if (colours.size < 1000) colours.add((data[n] << 16) | (data[n + 1] << 8) | data[n + 2]);
  }
  const count = data.length / 4, mean = sum / count;
  done([canvas.width, canvas.height, squares / count - mean * mean, colours.size]);
};
image.onerror = () => done(null);
image.src = "data:image/png;base64," + png;
"""


def _statistics(png: bytes, browser) -> tuple[int, int, float, int]:
    try:
        from PIL import Image, ImageStat
    except ImportError:  # decode it in the browser instead
        return tuple(browser.execute_async_script(PIXELS, base64.b64encode(png).decode("ascii")))
    import io

    image = Image.open(io.BytesIO(png)).convert("RGB")
    grey = image.convert("L")
    return image.width, image.height, ImageStat.Stat(grey).var[0], len(image.getcolors(1000) or range(1000))


def test_screenshot_shows_the_figure(browser, tmp_path):
    case = {"kind": "conv", "ceil": False, "i": 5, "k": 3, "s": 2, "pl": 1, "pr": 1, "d": 1, "a": 0}
    (page,) = browser.execute_script(DRIVE, [case])
    assert page["size"] == "3"
    figure = browser.find_element("id", "figure")
    assert len(figure.find_elements("css selector", "rect.tap")) == 9
    assert len(figure.find_elements("css selector", "rect.out")) == 9
    whole = browser.get_screenshot_as_png()
    (tmp_path / "page.png").write_bytes(whole)
    width, height, variance, colours = _statistics(whole, browser)
    assert width >= 600 and height >= 400
    assert variance > 100 and colours > 8, (variance, colours)
    width, height, variance, colours = _statistics(figure.screenshot_as_png, browser)
    assert variance > 100 and colours > 4, (variance, colours)
