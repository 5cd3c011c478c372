"""The numba Heun ODE with its discrete adjoint (braintwin.simulate.adjoint) against JAX's own scan and autodiff."""

from __future__ import annotations

import math

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

from braintwin.errors import InputError  # noqa: E402
from braintwin.models import VEP2D  # noqa: E402
from braintwin.models.oscillators import SupHopf  # noqa: E402
from braintwin.models.symbolic import trace_function, vjp_source  # noqa: E402
from braintwin.simulate.adjoint import heun_ode, supported  # noqa: E402
from braintwin.workflows.vep.model import SAFE_BOUNDS, make_forward  # noqa: E402


def _network(n=9, seed=0, density=0.3):
    rng = np.random.default_rng(seed)
    W = rng.uniform(0.2, 1.0, (n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(W, 0.0)
    return W / W.max()


def test_vjp_source_matches_jax_grad_of_every_operation():
    """Reverse mode generated from the traced source equals JAX's gradient of the same function, for each rule."""

    def f(y, c, p, m):
        a = m.exp(-y.u * y.u) + m.log(2.0 + y.v * y.v) * m.sqrt(1.5 + y.u * y.u) - m.tanh(p.k * y.v) / (1.0 + c[0] * c[0])
        b = m.sin(y.u) * m.cos(y.v) + m.abs(y.u - 0.3) + m.maximum(y.u, y.v) - m.minimum(y.u, c[0]) + (2.0 + y.v * y.v) ** p.k
        b = b + m.where(y.u > 0.1, y.u ** 3, -y.v) - (-p.k) * y.u ** 2
        return a, b

    body, outs = trace_function(f, [("ns", ["u", "v"], "y_"), ("tuple", ["x"], "c_"), ("ns", ["k"], "p_")], n_out=2)
    wrt = ["y_u", "y_v", "c_0", "p_k"]
    vbody, adj = vjp_source(body, outs, wrt, ["g0", "g1"])
    src = "def vjp(y_u, y_v, c_0, p_k, g0, g1):\n" + "\n".join("    " + ln for ln in (body + "\n" + vbody).splitlines()) + f"\n    return ({', '.join(adj)})\n"
    ns = {"math": math}
    exec(src, ns)

    class NS:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    def fj(args, g):
        u, v, c0, k = args
        a, b = f(NS(u=u, v=v), (c0,), NS(k=k), jnp)
        return g[0] * a + g[1] * b

    rng = np.random.default_rng(3)
    with jax.enable_x64(True):
        for _ in range(20):
            args = rng.uniform(-1.0, 1.0, 4)
            args[3] = rng.uniform(0.5, 2.0)
            g = rng.normal(size=2)
            want = np.asarray(jax.grad(fj)(jnp.asarray(args), jnp.asarray(g)))
            got = np.asarray(ns["vjp"](*args, *g))
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _vep_case(sps, first, seed=0):
    n = 9
    W = _network(n, seed)
    rng = np.random.default_rng(seed + 10)
    x0 = rng.uniform(-3.5, -1.6, n)
    init = np.stack([rng.uniform(-2.6, -1.8, n), rng.uniform(3.5, 4.5, n)])
    return W, n, x0, init


@pytest.mark.parametrize("sps,first,layout", [(1, 1, "dense"), (1, 3, "sparse"), (3, 8, "dense"), (3, 8, "sparse")])
def test_vep_forward_and_gradient_equal_the_jax_scan(sps, first, layout, monkeypatch):
    """Trajectory and gradients w.r.t. x0, K, tau0, I1 and the initial state equal JAX's scan and reverse mode to round-off,
    with the weights read as dense rows or as sparse CSR rows."""
    import importlib

    adjoint = importlib.import_module("braintwin.simulate.adjoint")  # bt.simulate is also a function's name
    monkeypatch.setattr(adjoint, "DENSE_ABOVE", 0.1 if layout == "dense" else 2.0)
    W, n, x0, init = _vep_case(sps, first)
    assert (W != 0).mean() > 0.1  # dense unless told otherwise
    kw = dict(dt=0.3 / sps, n_samples=60, steps_per_sample=sps, first_steps=first, safe_bounds=SAFE_BOUNDS)
    with jax.enable_x64(True):
        fj, fn = make_forward(W, engine="jax", **kw), make_forward(W, engine="numba", **kw)
        args = (jnp.asarray(x0), 1.3, 12.0, 3.1, jnp.asarray(init))
        xj, xn = np.asarray(jax.jit(fj)(*args)), np.asarray(jax.jit(fn)(*args))
        assert xj.shape == (60, n) and xj.max() > 0.0  # some region seizes: the nonlinear branch is exercised
        np.testing.assert_allclose(xn, xj, rtol=0, atol=1e-11)
        g = jnp.asarray(np.random.default_rng(1).normal(size=xj.shape))
        loss = lambda f: (lambda *a: jnp.sum(jnp.sin(f(*a)) * g))  # noqa: E731
        gj = jax.jit(jax.grad(loss(fj), argnums=(0, 1, 2, 3, 4)))(*args)
        gn = jax.jit(jax.grad(loss(fn), argnums=(0, 1, 2, 3, 4)))(*args)
        for a, b in zip(gj, gn):
            a, b = np.asarray(a), np.asarray(b)
            assert np.abs(a).max() > 1e-3
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-9 * np.abs(a).max())
        # a batch (vmap) runs each member as alone
        x0s = jnp.stack([args[0], args[0] + 0.05])
        gb = jax.jit(jax.vmap(jax.grad(loss(fn)), in_axes=(0, None, None, None, None)))(x0s, *args[1:])
        np.testing.assert_allclose(np.asarray(gb[0]), np.asarray(gn[0]), rtol=0, atol=1e-12 * np.abs(np.asarray(gn[0])).max())
        g2 = jax.grad(loss(fj))(x0s[1], *args[1:])
        np.testing.assert_allclose(np.asarray(gb[1]), np.asarray(g2), rtol=0, atol=1e-9 * np.abs(np.asarray(g2)).max())


def test_bounds_that_bind_stop_the_gradient_as_clipping_does():
    """With state bounds that the trajectory hits, values and gradients still equal JAX's (clip passes no gradient)."""
    W, n, x0, init = _vep_case(1, 1, seed=2)
    bounds = ((-2.0, 0.5), (0.1, 4.2))  # (lower, upper) per variable: x outside [-2.0, 0.1], z above 4.2 are clipped
    kw = dict(dt=0.25, n_samples=40, safe_bounds=bounds)
    with jax.enable_x64(True):
        fj, fn = make_forward(W, engine="jax", **kw), make_forward(W, engine="numba", **kw)
        args = (jnp.asarray(x0), 0.8, 10.0, 3.1, jnp.asarray(init))
        xj = np.asarray(fj(*args))
        np.testing.assert_allclose(np.asarray(fn(*args)), xj, atol=1e-11)
        assert np.isclose(xj.min(), -2.0) and np.isclose(xj.max(), 0.1)  # both bounds of x bind
        L = lambda f: (lambda x0, init: jnp.sum(f(x0, 0.8, 10.0, 3.1, init) ** 2))  # noqa: E731
        for a, b in zip(jax.grad(L(fj), argnums=(0, 1))(args[0], args[4]), jax.grad(L(fn), argnums=(0, 1))(args[0], args[4])):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), atol=1e-9 * np.abs(np.asarray(a)).max())


def test_two_coupled_variables_of_another_model():
    """Generated from any model's dfun: SupHopf couples both of its variables; against a JAX Heun scan of the same model."""
    from braintwin.models.coupling import Difference
    from braintwin.simulate.integrators import step

    model = SupHopf()
    n, T = 7, 50
    W = _network(n, seed=4, density=0.5)
    wsum = W.sum(axis=1)
    rng = np.random.default_rng(5)
    P = np.stack([np.full(n, model.values[k]) if np.ndim(model.values[k]) == 0 else model.values[k] for k in model.parameter_names]).astype(float)
    P = P + 0.1 * rng.normal(size=P.shape)
    init = rng.normal(0.0, 0.5, (2, n))
    a, dt = 0.4, 0.05

    def ref(P, init):
        def one(y, _):
            c = tuple(a * (jnp.asarray(W) @ y[k] - jnp.asarray(wsum) * y[k]) for k in range(2))
            y = step("heun", lambda s: model.evaluate(s, c, P, m=jnp), y, dt, 0.0, -jnp.inf, jnp.inf, jnp)
            return y, y[0]

        return jax.lax.scan(one, init, None, length=T)[1]

    with jax.enable_x64(True):
        assert supported(model, Difference(a=a)) is None
        run = heun_ode(model, W, dt=dt, n_samples=T, coupling_a=a)
        P_, i_ = jnp.asarray(P), jnp.asarray(init)
        np.testing.assert_allclose(np.asarray(run(P_, i_)), np.asarray(ref(P_, i_)), atol=1e-12)
        L = lambda f: (lambda P, i: jnp.sum(f(P, i) ** 3))  # noqa: E731
        for u, v in zip(jax.grad(L(ref), argnums=(0, 1))(P_, i_), jax.grad(L(run), argnums=(0, 1))(P_, i_)):
            np.testing.assert_allclose(np.asarray(v), np.asarray(u), atol=1e-10 * np.abs(np.asarray(u)).max())


def test_hessian_by_differences_of_the_adjoint_gradient():
    """Where JAX cannot differentiate twice (the numba adjoint), the Hessian comes from differences of the gradient."""
    from braintwin.infer.laplace import hessian

    W, n, x0, init = _vep_case(1, 3, seed=1)
    kw = dict(dt=0.25, n_samples=40, first_steps=3, safe_bounds=SAFE_BOUNDS)
    y = None
    with jax.enable_x64(True):
        fj, fn = make_forward(W, engine="jax", **kw), make_forward(W, engine="numba", **kw)
        y = np.asarray(fj(jnp.asarray(x0), 1.0, 12.0, 3.1, jnp.asarray(init))) + 0.05

        def pot(f):
            def p(theta):
                xs = f(theta[:n], jnp.exp(theta[n]), 12.0, 3.1, jnp.asarray(init))
                return 0.5 * jnp.sum((xs - y) ** 2) / 0.1 ** 2 + 0.5 * jnp.sum(theta ** 2)
            return p

        theta = jnp.asarray(np.r_[x0, 0.0])
        Hj = hessian(pot(fj), theta)  # exact, jax.hessian
        Hn = hessian(pot(fn), theta)  # differences
    assert np.abs(Hj).max() > 10.0
    np.testing.assert_allclose(Hn, Hj, atol=1e-6 * np.abs(Hj).max())


def test_engine_choice_and_refusals():
    W, n, x0, init = _vep_case(1, 1)
    with jax.enable_x64(False):
        assert supported(VEP2D(), __import__("braintwin.models.coupling", fromlist=["Difference"]).Difference(a=1.0)) is not None
        with pytest.raises(InputError, match="numba engine cannot run here"):
            make_forward(W, dt=0.25, n_samples=10, engine="numba")(jnp.asarray(x0, jnp.float32), 1.0, 10.0, 3.1, jnp.asarray(init, jnp.float32))
        x = make_forward(W, dt=0.25, n_samples=10)(jnp.asarray(x0, jnp.float32), 1.0, 10.0, 3.1, jnp.asarray(init, jnp.float32))
        assert x.dtype == jnp.float32 and x.shape == (10, n)  # "auto" falls back to the JAX scan without float64
    with pytest.raises(InputError, match="engine must be"):
        make_forward(W, dt=0.25, n_samples=10, engine="cuda")


def test_auto_falls_back_to_the_scan_when_the_custom_calls_cannot_be_built(monkeypatch):
    """If the numba loops cannot be built (say, a JAX without XLA's legacy custom calls), "auto" warns and integrates
    with JAX's scan (same trajectory); "numba" raises."""
    import importlib

    from braintwin.errors import BraintwinWarning

    adjoint = importlib.import_module("braintwin.simulate.adjoint")

    def broken(*a, **k):
        raise RuntimeError("no custom calls here")

    W, n, x0, init = _vep_case(1, 1)
    with jax.enable_x64(True):
        want = np.asarray(make_forward(W, dt=0.25, n_samples=20, engine="jax")(jnp.asarray(x0), 1.0, 10.0, 3.1, jnp.asarray(init)))
        monkeypatch.setattr(adjoint, "heun_ode", broken)
        with pytest.warns(BraintwinWarning, match="could not be built"):
            got = np.asarray(make_forward(W, dt=0.25, n_samples=20)(jnp.asarray(x0), 1.0, 10.0, 3.1, jnp.asarray(init)))
        np.testing.assert_array_equal(got, want)
        with pytest.raises(RuntimeError, match="no custom calls"):
            make_forward(W, dt=0.25, n_samples=20, engine="numba")(jnp.asarray(x0), 1.0, 10.0, 3.1, jnp.asarray(init))
