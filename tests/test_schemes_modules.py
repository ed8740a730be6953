"""The pieces of symconv.schemes on their own: the registry, the box, the shared rules, the oracle adapter."""

import dataclasses
import pickle
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import sympy

from symconv.core import rules
from symconv.core import symbols as S
from symconv.core.errors import SchemeError
from symconv.core.printing import text
from symconv.guide.derive import general_output_size
from symconv.schemes import builtin as registry
from symconv.schemes import builtin_schemes, check_scheme, declare, resolve, scheme, scheme_from_toml
from symconv.schemes.domain import (
    DEFAULT_BOUND, DILATIONS, KERNELS, PARAMETER_VALUES, STRIDES, box_text, domain, window_fits,
)
from symconv.schemes.model import a, o
from symconv.schemes.oracle import Oracle
from symconv.schemes.simplify import general, raw_output_size
from symconv.schemes.transpose import recovery

BUILTIN = Path(resources.files("symconv.schemes") / "builtin")


# --- the registry of built-ins -------------------------------------------------------------------

def test_every_builtin_file_is_one_scheme_named_after_it_and_listed_in_the_order():
    files = sorted(path.stem for path in BUILTIN.glob("*.toml"))
    assert sorted(registry.ORDER) == files
    assert list(builtin_schemes()) == list(registry.ORDER)
    for name, sch in builtin_schemes().items():
        assert sch.name == name and sch.source == f"symconv/schemes/builtin/{name}.toml"


def test_the_registry_is_read_only():
    with pytest.raises(TypeError):
        builtin_schemes()["mine"] = declare("mine", "0", "0")


def fake_package(folder):
    class Files:
        @staticmethod
        def files(package):
            assert package == "symconv.schemes"
            return folder

    return Files


@pytest.fixture
def registry_in(monkeypatch, tmp_path):
    """The registry reading tmp_path/builtin instead of the package's folder."""
    (tmp_path / "builtin").mkdir()
    monkeypatch.setattr(registry, "resources", fake_package(tmp_path))
    registry.forget()
    yield tmp_path / "builtin"
    registry.forget()


def test_a_builtin_outside_the_order_is_listed_last(registry_in):
    for stem, name in [("zz", "zz"), ("aa", "aa"), ("valid", "valid")]:
        (registry_in / f"{stem}.toml").write_text(f'name = "{name}"\nbefore = "0"\nafter = "0"\n')
    assert list(builtin_schemes()) == ["valid", "aa", "zz"]


def test_two_builtins_with_one_name_are_refused(registry_in):
    # A built-in is named after its file, so two cannot share a name: the one whose file is not its name is refused.
    for stem in ("one", "same"):
        (registry_in / f"{stem}.toml").write_text('name = "same"\nbefore = "0"\nafter = "0"\n')
    with pytest.raises(SchemeError, match=r"^symconv/schemes/builtin/one.toml: name: 'same', but a built-in is named "
                                          r"after its file$"):
        builtin_schemes()
    with pytest.raises(SchemeError, match=r"^symconv/schemes/builtin/one.toml: name: 'same', but"):
        builtin_schemes(checked=False)
    assert scheme("same").source == "symconv/schemes/builtin/same.toml"  # its own file only


# --- the box: one set of constants, and the text made from them ---------------------------------

@pytest.mark.parametrize("name", ["valid", "pool-ceil"])
def test_the_box_text_names_the_box_that_is_enumerated(name):
    sch = scheme(name)
    ranges = domain(sch, {S.i: range(1, 9)}).ranges
    assert ranges[S.k] == KERNELS and ranges[S.s] == STRIDES and ranges[S.d] == DILATIONS
    assert all(ranges[p] == PARAMETER_VALUES for p in sch.parameters)
    shown = dict(re.findall(r"(\w+) <= (\d+)", box_text(8, sch)))
    assert shown == {str(v): str(r[-1]) for v, r in ranges.items()}
    assert domain(sch, {}).ranges[S.i] == range(1, DEFAULT_BOUND + 1)


def test_the_box_text_of_two_parameters():
    sch = declare("two", "p", "q", parameters=["p", "q"])
    assert box_text(4, sch) == "i <= 4, k <= 5, s <= 4, d <= 3, p, q <= 3"


# --- the sliding-window rules come from symconv.core.rules ------------------------------------------

@pytest.mark.parametrize("ceil_mode", [False, True])
def test_the_rules_are_the_shared_ones(ceil_mode):
    assert window_fits(ceil_mode) == rules.fits(S.i, S.k, S.s, S.d, S.p_l, S.p_r, ceil_mode=ceil_mode)
    count = rules.ceil_count if ceil_mode else rules.floor_count
    assert general(ceil_mode) == count(S.i, S.k, S.s, S.d, S.p_l, S.p_r)
    # The floor count is also the one the guide derives.
    assert general(False) == general_output_size()


def test_the_raw_output_size_is_the_rule_with_the_padding_put_in():
    sch = scheme("pool-ceil")
    assert raw_output_size(sch) == rules.ceil_count(S.i, S.k, S.s, S.d, S.p, S.p)


# --- o and a are the scheme's own, without the guide's assumptions --------------------------------

def test_claims_about_the_sign_of_o_and_a_are_kept_and_checked():
    # With symbols.o (positive) and symbols.a (nonnegative) sympy would turn both claims into True.
    assert (o.is_positive, a.is_nonnegative) == (None, None) and (o, a) != (S.o, S.a)
    sch = declare("signs", "p", "p", parameters=["p"], claims=["o >= 1", "0 <= a"])
    assert [text(c) for c in sch.claims] == ["o ≥ 1", "0 ≤ a"]
    assert [text(c) for c in scheme("transposed-output-padding").claims][0] == "0 ≤ a"
    assert [(text(r.claim), r.status) for r in check_scheme(sch, bound=6).claims] == [
        ("o ≥ 1", "proved"), ("0 ≤ a", "proved")]


def test_the_transpose_theorem_states_that_a_is_nonnegative():
    statement, _ = recovery(scheme("valid"))
    assert sympy.Le(0, a, evaluate=False) in statement.args


# --- the oracle adapter ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["tf-same", "pool-ceil"])
def test_the_oracle_counts_a_box_as_it_counts_each_case(name):
    sch = scheme(name)
    variables = sch.variables
    rng = np.random.default_rng(0)
    values = {S.i: rng.integers(1, 17, 200), S.k: rng.integers(1, 6, 200), S.s: rng.integers(1, 5, 200),
              S.d: rng.integers(1, 4, 200), **{p: rng.integers(0, 3, 200) for p in sch.parameters}}
    keep = np.ones(200, dtype=bool)
    for condition in domain(sch, {}).hypotheses:  # where the oracle has a window to count
        keep &= np.array([bool(condition.subs({v: int(values[v][n]) for v in variables})) for n in range(200)])
    values = {v: column[keep] for v, column in values.items()}
    batch = Oracle(sch, variables).batch(values)[o]
    one = Oracle(sch, variables)
    assert batch.tolist() == [one({v: int(values[v][n]) for v in variables})[o] for n in range(len(batch))]
    assert len(batch) > 50


# --- speed without a different answer: the registry, the simplifier, the check over several cores ------------------

def test_every_builtin_passes_every_check_of_the_loader():
    """`scheme list` reads the built-ins without the checks that load the kernel: the checks pass on each file."""
    folder = resources.files("symconv.schemes") / "builtin"
    for name, listed in builtin_schemes(checked=False).items():
        content = (folder / f"{name}.toml").read_text(encoding="utf-8")
        loaded = scheme_from_toml(content, listed.source)  # every check, as for a user's file
        assert loaded == listed and scheme(name) is listed and builtin_schemes()[name] is listed


def test_a_builtin_is_read_from_its_own_file_only(registry_in):
    (registry_in / "mine.toml").write_text('name = "mine"\nbefore = "k - 1"\nafter = "0"\n')
    (registry_in / "broken.toml").write_text('name = "broken"\nbefore = "i -"\nafter = "0"\n')
    assert resolve("mine").before == S.k - 1 and scheme("mine").source == "symconv/schemes/builtin/mine.toml"
    with pytest.raises(SchemeError, match=r"^symconv/schemes/builtin/broken.toml:2: before: "):
        builtin_schemes()


def test_a_builtin_still_gets_the_checks_that_evaluate_it(registry_in):
    (registry_in / "negative.toml").write_text('name = "negative"\nbefore = "k - 2"\nafter = "0"\n')
    assert builtin_schemes(checked=False)["negative"].before == S.k - 2  # listed
    with pytest.raises(SchemeError, match=r"^symconv/schemes/builtin/negative.toml:2: before: k - 2 is negative at "
                                          r"i=1, k=1, s=1, d=1 \(the smallest such case\)"):
        scheme("negative")  # but never used unchecked
    with pytest.raises(SchemeError, match="negative at"):
        resolve("negative")


@pytest.mark.parametrize("name", ["../builtin/tf-same", "tf-same.toml", "", ".hidden"])
def test_a_name_that_looks_like_a_path_is_no_builtin(name):
    with pytest.raises(SchemeError, match="no built-in scheme has that name"):
        scheme(name)


def test_simplifying_skips_only_forms_that_fail_on_the_box():
    """The shortest form is the first candidate that is proved, as when every candidate is handed to the prover."""
    from symconv.proof import prove
    from symconv.proof.theorem import Theorem
    from symconv.schemes.simplify import _candidates, hints, simplest
    from symconv.schemes.transpose import output_padding

    for sch, expr, symbol in [(scheme("tf-same"), output_padding(scheme("tf-same")), a),
                              (scheme("tf-same"), raw_output_size(scheme("tf-same")), o),
                              (scheme("pool-ceil"), raw_output_size(scheme("pool-ceil")), o),
                              (scheme("causal"), raw_output_size(scheme("causal")), o)]:
        scope = domain(sch, {})
        every = [c for c in _candidates(expr, hints(sch, symbol), {})
                 if prove(Theorem("t", "t", sympy.Eq(c, expr), scope.hypotheses, (), scope.variables),
                          scope.ranges).status == "proved"]
        assert simplest(expr, sch, scope, hints(sch, symbol)) == (every[0] if every else expr)


@pytest.mark.parametrize("name", ["tf-same", "pool-ceil", "transposed-output-padding"])
def test_the_check_over_several_cores_is_the_check_on_one(name, monkeypatch):
    from symconv.present.data import scheme_report_data
    from symconv.present.serialise import dumps
    from symconv.present.text import scheme_report_text
    from symconv.schemes import check as check_module

    spread = check_scheme(scheme(name), bound=8)
    monkeypatch.setattr(check_module.os, "cpu_count", lambda: 1)
    alone = check_scheme(scheme(name), bound=8)
    assert scheme_report_text(spread) == scheme_report_text(alone)
    assert dumps(scheme_report_data(spread)) == dumps(scheme_report_data(alone))
    def timeless(report):  # everything but the seconds z3 took
        return [dataclasses.replace(c, proof=dataclasses.replace(c.proof, smt=c.proof.smt and dataclasses.replace(
            c.proof.smt, seconds=0.0))) for c in report.claims]

    assert (spread.output_size, spread.steps, timeless(spread)) == (alone.output_size, alone.steps, timeless(alone))


def test_results_come_back_from_a_worker_exactly_as_they_were():
    from symconv.core.workers import receive, send

    kept = sympy.Mod(S.i - 1, S.s, evaluate=False)  # sympy's own pickling would make it (i + s - 1) mod s
    back = receive(send((kept, sympy.Ge(S.k - 1, 0, evaluate=False))))
    assert back == (kept, sympy.Ge(S.k - 1, 0, evaluate=False)) and back[0] != pickle.loads(pickle.dumps(kept))


def test_a_worker_that_fails_leaves_the_error_to_the_parent(monkeypatch):
    """An item that raises in a worker is run again in order, so the error is the one checking on one core gives."""
    from symconv.schemes import check as check_module

    monkeypatch.setitem(check_module.Oracle.__init__.__globals__["ORACLE_BUDGET"], False, 100)
    with pytest.raises(SchemeError, match=r"^symconv/schemes/builtin/valid.toml: before, after: the brute-force "
                                          r"oracle walks every window of every case, and the cases up to "):
        check_scheme(scheme("valid"))


@pytest.mark.parametrize("cores", [1, 2])
def test_a_padding_negative_beyond_the_box_stops_the_check_before_its_claims(cores, monkeypatch):
    """Found by z3 past the box the loader enumerates; on one core or several, the claims are never reported."""
    from symconv.schemes import check as check_module

    monkeypatch.setattr(check_module.os, "cpu_count", lambda: cores)
    seen = []
    with pytest.raises(SchemeError, match=r"^<python>: before: -i \+ 100 is negative at i=101, k=1, s=1, d=1; "
                                          r"restrict the scheme with 'where'$"):
        check_scheme(declare("late", "100 - i", "0", claims=["o >= 1"]),
                     progress=lambda task, item, done, total: seen.append(item))
    assert seen == ["before >= 0", "after >= 0"]


def test_no_worker_is_forked_beside_a_runtime_that_a_fork_cannot_copy(monkeypatch):
    """onnxruntime's and torch's thread pools are not copied by fork (a worker hung freeing a session)."""
    import sys
    import types

    from symconv.core import workers

    monkeypatch.setitem(sys.modules, "onnxruntime", sys.modules.get("onnxruntime") or types.ModuleType("onnxruntime"))
    monkeypatch.setattr(workers.multiprocessing, "get_context", lambda *args: pytest.fail("forked"))
    assert check_scheme(scheme("causal"), bound=4).holds


def test_the_package_names_are_the_functions_whatever_was_imported_first():
    import importlib

    importlib.import_module("symconv.schemes.compare")
    importlib.import_module("symconv.schemes.check")
    from symconv import schemes as package

    assert callable(package.compare) and callable(package.check_scheme) and callable(package.output_size)
