"""The pieces of symconv.schemes on their own: the registry, the box, the shared rules, the oracle adapter."""

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
from symconv.schemes import builtin_schemes, check_scheme, declare, scheme
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
    registry.builtin_schemes.cache_clear()
    yield tmp_path / "builtin"
    registry.builtin_schemes.cache_clear()


def test_a_builtin_outside_the_order_is_listed_last(registry_in):
    for stem, name in [("zz", "zz"), ("aa", "aa"), ("valid", "valid")]:
        (registry_in / f"{stem}.toml").write_text(f'name = "{name}"\nbefore = "0"\nafter = "0"\n')
    assert list(builtin_schemes()) == ["valid", "aa", "zz"]


def test_two_builtins_with_one_name_are_refused(registry_in):
    for stem in ("one", "two"):
        (registry_in / f"{stem}.toml").write_text('name = "same"\nbefore = "0"\nafter = "0"\n')
    with pytest.raises(SchemeError, match=r"^symconv/schemes/builtin/two.toml: name: 'same' is the name of another "
                                          r"built-in, symconv/schemes/builtin/one.toml$"):
        builtin_schemes()


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
