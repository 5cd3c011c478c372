"""Integrators as data: each tableau has its published order, and the numba source is the same table."""

from __future__ import annotations

import numpy as np
import pytest

from braintwin.simulate.integrators import TABLEAUX, step, update_source


@pytest.mark.parametrize("method, order", [("euler", 1), ("heun", 2), ("rk4", 4)])
def test_order_of_accuracy_on_exponential_decay(method, order):
    # dx/dt = -x from x = 1 to t = 1: global error ~ C dt^order
    errs = []
    for n in (20, 40):
        x, dt = np.array([1.0]), 1.0 / n
        for _ in range(n):
            x = step(method, lambda s: -s, x, dt, 0.0, -np.inf, np.inf, np)
        errs.append(abs(float(x[0]) - np.exp(-1.0)))
    assert np.log2(errs[0] / errs[1]) == pytest.approx(order, abs=0.15)


def test_bounds_apply_after_every_stage():
    # f pushes x below 0 and the bound is 0: every stage and the result stay at 0
    seen = []

    def f(x):
        seen.append(float(x[0]))
        return np.array([-10.0])

    x = step("rk4", f, np.array([0.0]), 0.1, 0.0, np.array([0.0]), np.array([np.inf]), np)
    assert seen == [0.0, 0.0, 0.0, 0.0] and float(x[0]) == 0.0


def test_heun_source_is_the_table():
    lines = update_source("heun", ["y_x"], lambda k: " + z_0", lambda names: [], lambda a: f"_dfun({', '.join(a)})")
    assert lines == [
        "k1 = _dfun(y_x)",
        "s2_0 = y_x + dt * k1[0] + z_0",  # predictor: the noise increment enters
        "k2 = _dfun(s2_0)",
        "n_0 = y_x + (dt / 2.0) * (k1[0] + k2[0]) + z_0",  # corrector: the same increment
    ]
    assert set(TABLEAUX) == {"euler", "heun", "rk4"}
