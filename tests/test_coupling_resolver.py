"""One rule for ``G``: the numba engine, the JAX engine and what-if agree.

``G`` is the global coupling strength (the coupling's ``a``; the model's own
``G`` where it has one); a model's own ``a`` (Epileptor, Generic2dOscillator,
JansenRit) is the model's.  Each engine and ``bt.whatif`` route names through
:func:`braintwin.models.resolve_parameter`, so the same numbers give the same
trajectory whichever way they are given.
"""

from __future__ import annotations

import numpy as np
import pytest

import braintwin as bt
from braintwin.connectome import Connectome
from braintwin.errors import InputError
from braintwin.models import (
    Difference,
    Epileptor,
    Generic2dOscillator,
    JansenRit,
    Linear,
    MontbrioPazoRoxin,
    ReducedWongWangExcInh,
    get_coupling,
    resolve_parameter,
    with_parameter,
)
from braintwin.simulate import Simulation

jax = pytest.importorskip("jax")

G0, FACTOR = 0.2, 1.5
#: Epileptor couples only through Kvf, Kf and Ks, which are 0 by default
MODELS = [Epileptor(Kvf=1.0, Kf=0.5, Ks=0.5), Generic2dOscillator(), JansenRit()]
DT, DURATION = 0.05, 50.0  # 1000 Heun steps, no noise: deterministic


def _conn() -> Connectome:
    w = np.array([[0.0, 1.0, 0.3, 0.0], [0.8, 0.0, 0.5, 0.2], [0.3, 0.6, 0.0, 1.0], [0.0, 0.4, 0.9, 0.0]])
    lengths = np.where(w > 0, 4.0 + 3.0 * np.arange(16).reshape(4, 4) % 7, 0.0)
    return Connectome(w, lengths, ["a", "b", "c", "d"], source="resolver", warn=False)


def _initial(model, n):
    return model.initial_state(n, np.random.default_rng(7))


def _numba(conn, model, coupling, x0, **params):
    sim = Simulation(conn, model, coupling=coupling, dt=DT, monitors=["raw"], method="heun")
    return sim.run(DURATION, params=params, initial=x0)["raw"].data


def _jax(conn, model, coupling, x0, **params):
    sim = Simulation(conn, model, coupling=coupling, dt=DT, monitors=["raw"], method="heun", engine="jax")
    return sim.run(DURATION, params=params, initial=x0)["raw"].data


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_G_agrees_across_engines_and_whatif(model):
    conn = _conn()
    base = get_coupling(None, model=model, a=G0)
    x0 = _initial(model, conn.n_regions)
    G = G0 * FACTOR
    ref = bt.simulate(conn, model, coupling=base, G=G, duration=DURATION, dt=DT, monitors=["raw"], initial=x0)["raw"].data
    assert np.all(np.isfinite(ref))
    # a different G changes the trajectory (the comparisons below can fail)
    other = _numba(conn, model, base, x0, G=G0)
    assert np.max(np.abs(other - ref)) > 1e3 * (1e-9 * np.max(np.abs(ref)) + 1e-12)
    ways = {
        "numba params G": _numba(conn, model, base, x0, G=G),
        "numba coupling.a": _numba(conn, model, base, x0, **{"coupling.a": G}),
        "jax G argument": bt.simulate(conn, model, coupling=base, G=G, duration=DURATION, dt=DT, monitors=["raw"],
                                      initial=x0, engine="jax")["raw"].data,
        "jax params G": _jax(conn, model, base, x0, G=G),
    }
    sc = bt.whatif.Scenario(conn, model, coupling=base)
    for name, iv in (("whatif scale_coupling", bt.whatif.scale_coupling(FACTOR)), ("whatif scale_params", bt.whatif.scale_params(G=FACTOR))):
        after = iv.apply(sc)
        assert float(after.parameter("G")) == pytest.approx(G)
        assert after.model.values == sc.model.values  # G never lands on the model's own parameters
        ways[name] = _numba(after.connectome, after.model, after.coupling, x0)
    for name, y in ways.items():
        np.testing.assert_allclose(y, ref, rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_models_own_a_is_the_models_in_every_engine(model):
    conn = _conn()
    coupling = get_coupling(None, model=model, a=G0)
    x0 = _initial(model, conn.n_regions)
    a = float(model.values["a"]) * 1.1
    ref = _numba(conn, model.replace(a=a), coupling, x0)
    np.testing.assert_allclose(_numba(conn, model, coupling, x0, a=a), ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_jax(conn, model, coupling, x0, a=a), ref, rtol=1e-9, atol=1e-12)
    after = bt.whatif.scale_params(a=1.1).apply(bt.whatif.Scenario(conn, model, coupling=coupling))
    assert after.coupling.values == coupling.values
    np.testing.assert_allclose(_numba(conn, after.model, after.coupling, x0), ref, rtol=1e-9, atol=1e-12)


def test_resolution_rule():
    rww, mpr, epi = ReducedWongWangExcInh(), MontbrioPazoRoxin(), Epileptor()
    assert resolve_parameter("G", epi, Difference()) == ("coupling", "a")
    assert resolve_parameter("a", epi, Difference()) == ("model", "a")
    assert resolve_parameter("coupling.a", epi, Difference()) == ("coupling", "a")
    assert resolve_parameter("coupling.G", epi, Difference()) == ("coupling", "a")
    assert resolve_parameter("a", mpr, Linear()) == ("coupling", "a")  # MPR has no a of its own
    assert resolve_parameter("b", mpr, Linear()) == ("coupling", "b")
    assert resolve_parameter("G", rww, Linear()) == ("model", "G")  # the model scales its own input
    m, c = with_parameter(rww, Linear(a=0.3), "G", 0.7)
    assert float(m.values["G"]) == 0.7 and c.values["a"] == 0.3
    for bad in ("x9", "coupling.x0"):
        with pytest.raises(InputError, match="unknown parameter"):
            resolve_parameter(bad, epi, Difference())
