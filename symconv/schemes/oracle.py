"""The ground truth a check compares claims with: windows counted by :mod:`symconv.core.oracle`.

The adapter evaluates the scheme's paddings exactly at each case and asks the
brute-force oracle, which never sees a formula, how many windows fit. It keeps
a budget, as the oracle walks every window.

>>> from symconv.core import symbols as S
>>> from symconv.schemes import scheme
>>> truth = Oracle(scheme("tf-same"), scheme("tf-same").variables)
>>> truth({S.i: 5, S.k: 4, S.s: 2, S.d: 1})
{o: 3}
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Mapping, Sequence

import numpy as np
from sympy import Symbol

from symconv.core import oracle
from symconv.core import symbols as S
from symconv.core.errors import SchemeError
from symconv.core.numeric import NotVectorised, column, compile_expr, evaluate_array
from symconv.schemes.model import Scheme, o

#: The oracle counts windows one by one: at most this many for one case of the box...
MAX_ORACLE_WINDOWS = 10**5
#: ... and at most this many over one check, in ceil mode (a Python loop, about 0.4 µs a window)
#: and in floor mode (numpy, about 20 times faster).
ORACLE_BUDGET = {True: 10**7, False: 2 * 10**8}


class Oracle:
    """The oracle's output size at each case: windows counted on the padded input, never a formula.

    Called with one case, as a theorem's ``truth``; ``batch`` does the same for a whole box of
    cases at once, asking the oracle once for each distinct padded input. The paddings are the
    scheme's, evaluated exactly. The oracle walks every window, so its work grows with the padded
    input: a scheme whose paddings need more than ``MAX_ORACLE_WINDOWS`` windows for one case, or
    ``ORACLE_BUDGET`` over the check, is refused.
    """

    def __init__(self, scheme: Scheme, variables: Sequence[Symbol]) -> None:
        self.scheme = scheme
        self.variables = tuple(variables)
        self.before = compile_expr(scheme.before, variables)
        self.after = compile_expr(scheme.after, variables)
        self.known: dict[tuple[int, ...], int] = {}
        self.spent = 0

    def __call__(self, env: Mapping[Symbol, int]) -> Mapping[Symbol, int]:
        values = [env[v] for v in self.variables]
        pads = (self.before(*values), self.after(*values))
        # Only the direct convolution's size comes from the oracle: the transposed size o'
        # stays the formula under test, compared with the true input size i.
        return {o: self.count((env[S.i], env[S.k], env[S.s], env[S.d], *pads), lambda: values)}

    def batch(self, values: Mapping[Symbol, np.ndarray]) -> Mapping[Symbol, np.ndarray]:
        columns = [values[v] for v in self.variables]

        def case_at(n: int) -> list[int]:
            return [int(c[n]) for c in columns]

        try:
            pads = [evaluate_array(side, values) for side in (self.scheme.before, self.scheme.after)]
        except NotVectorised:
            pads = []
        if len(pads) != 2 or any(unsure is not None for _, unsure in pads):
            return {o: column(self(dict(zip(self.variables, case)))[o] for case in zip(*(c.tolist() for c in columns)))}
        keys = np.stack([values[S.i], values[S.k], values[S.s], values[S.d], pads[0][0], pads[1][0]], axis=1)
        if keys.dtype == object:
            rows = [tuple(row) for row in keys.tolist()]
            sizes = [self.count(row, partial(case_at, n)) for n, row in enumerate(rows)]
            return {o: column(sizes)}
        distinct, first, back = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        rows = [tuple(row) for row in distinct.tolist()]
        counted = np.zeros(len(distinct), dtype=np.int64)
        for n in np.argsort(first, kind="stable").tolist():  # in the box's order, so a refusal names the first case
            counted[n] = self.count(rows[n], partial(case_at, int(first[n])))
        return {o: counted[back.ravel()]}

    def count(self, key: tuple[int, ...], case: Callable[[], Sequence[int]]) -> int:
        if key not in self.known:
            i, k, s, d, before, after = key
            windows = max(i + before + after, 0) // s + 1
            budget = ORACLE_BUDGET[self.scheme.ceil_mode]
            if windows > MAX_ORACLE_WINDOWS or self.spent + windows > budget:
                shown = ", ".join(f"{v}={value}" for v, value in zip(self.variables, case()))
                if windows > MAX_ORACLE_WINDOWS:
                    raise SchemeError(self.scheme.source, f"before, after: the paddings are too large for the "
                                      f"brute-force oracle, which walks every window: at {shown} they are {before} "
                                      f"and {after}, so {windows} windows; it walks at most {MAX_ORACLE_WINDOWS} "
                                      "for one case")
                raise SchemeError(self.scheme.source, f"before, after: the brute-force oracle walks every window of "
                                  f"every case, and the cases up to {shown} already need more than {budget} windows, "
                                  "its budget for one check; lower the bound")
            self.spent += windows
            if self.scheme.ceil_mode:
                self.known[key] = oracle.count_pool_windows(i, k, s, (before, after), d, ceil_mode=True)
            else:
                self.known[key] = oracle.count_positions(i, k, s, (before, after), d)
        return self.known[key]
