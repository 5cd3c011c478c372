r"""A differentiable numba ODE for JAX: Heun steps forward, their exact discrete adjoint backward.

Inference differentiates the network ODE once per leapfrog step of NUTS.  On a
CPU, XLA runs JAX's reverse mode of a ``lax.scan`` of small steps at several
microseconds of overhead per step (tvb76 VEP: 1.2 ms for the gradient of a
0.26 ms forward run).  Here the forward run and its adjoint are generated numba
loops, called from the compiled JAX program as XLA custom calls (no Python on
the way), and joined by :func:`jax.custom_vjp`:

* **Forward.**  TVB's Heun scheme with the coupling held through predictor and
  corrector, state bounds after each stage, exactly as
  :func:`braintwin.simulate.integrators.step` (``"heun"``); the state and the
  coupling before every step are kept for the backward sweep.
* **Backward.**  The discrete adjoint of those very steps (not of the ODE), so
  the gradient is the gradient of the computed trajectory to round-off, as
  JAX's reverse mode would give it.  For each step, last first:
  ``a_k = h/2 a'``; ``a_p = J_y f(y_p)^T a_k`` (masked where the predictor was
  clamped); ``a_k1 = a_k + h a_p``; ``a = a' + a_p + J_y f(y)^T a_k1``; the
  coupling's cotangent flows back through the weights' transpose.
* **One definition.**  ``f`` and its vector-Jacobian product are generated from
  the model's own ``dfun`` (:func:`braintwin.models.symbolic.trace_function`,
  :func:`~braintwin.models.symbolic.vjp_source`): no equation is restated here.
* **Sparse coupling.**  The weights are read in CSR form: a VEP connectome of
  strong tracts has ~4 % non-zeros.

Measured (tvb76 VEP, 76 regions, 153 Heun steps, 224 tracts, 2026-12-06, one
core): the loops take 0.14 ms forward and 0.22 ms backward, and a gradient of
the ODE through JAX 0.37 ms, against 1.24 ms for JAX's reverse mode of its scan;
the VEP potential's value and gradient 0.68 ms against 1.58 ms (in a compiled
loop).  See ``benchmarks/vep_fit.py`` for what that does to a fit.

How the loops reach JAX: each is a numba ``cfunc`` with XLA's CPU custom-call
signature (``void(void** out, void** in, char* opaque, size_t len, status*)``),
registered with :func:`jax.ffi.register_ffi_target` and called by
:func:`jax.ffi.ffi_call` (``custom_call_api_version=3``); sizes travel in a small
int64 input.  A :func:`jax.pure_callback` would cost ~0.5 ms per call in Python.

Scope: CPU (the custom calls are registered for XLA's CPU backend), float64,
difference coupling (:class:`~braintwin.models.coupling.Difference`), no
delays, no noise.  First derivatives only: JAX cannot differentiate through
the adjoint again, so Hessians use finite differences of the gradient
(:func:`braintwin.infer.laplace.hessian`).  :func:`supported` says when it
applies; :func:`braintwin.vep.make_forward` falls back to the JAX scan otherwise.
"""

from __future__ import annotations

import ctypes
import hashlib
import textwrap
from typing import Callable

import numpy as np

from ..models.base import Model
from ..models.coupling import Coupling, Difference
from ..models.symbolic import trace_function, vjp_source

__all__ = ["heun_ode", "supported"]

#: density of the weights above which the loops read them as dense rows
DENSE_ABOVE = 0.1
_REGISTERED: dict[str, tuple] = {}  # source hash -> (forward target, backward target, cfuncs kept alive)


def supported(model: Model, coupling: Coupling) -> str | None:
    """None when :func:`heun_ode` can run this model and coupling on this machine, else the reason it cannot."""
    try:
        import jax
        import numba  # noqa: F401
    except ImportError as e:  # pragma: no cover - both are dependencies
        return f"needs numba and jax ({e})"
    if jax.default_backend() != "cpu":
        return f"the custom calls run on CPU only (JAX's backend is {jax.default_backend()})"
    if not jax.config.jax_enable_x64:
        return "needs float64 (jax_enable_x64)"
    if type(coupling) is not Difference:
        return f"only the Difference coupling is differentiated here, not {type(coupling).__name__}"
    return None


def _sources(model: Model) -> str:
    """The generated module: ``_dfun``, ``_vjp``, the forward and adjoint loops and their custom-call wrappers."""
    S = [f"y_{n}" for n in model.state_names]
    C = [f"c_{k}" for k in range(len(model.coupling_vars))]
    P = [f"p_{n}" for n in model.parameter_names]
    G = [f"g_{k}" for k in range(len(S))]
    body, outs = trace_function(model.dfun, [("ns", model.state_names, "y_"), ("tuple", model.coupling_vars, "c_"),
                                             ("ns", model.parameter_names, "p_")], n_out=len(S))
    vbody, adj = vjp_source(body, outs, S + C + P, G)
    ind = lambda s: textwrap.indent(s, "    ")  # noqa: E731
    tup = lambda xs: "(" + ", ".join(xs) + ("," if len(xs) == 1 else "") + ")"  # noqa: E731
    ns, nc, npar = len(S), len(C), len(P)
    cidx = [model.state_names.index(v) for v in model.coupling_vars]
    at = lambda arr, names, i="i": [f"{arr}[{k}, {i}]" for k in range(len(names))]  # noqa: E731

    def call(fn, ys, extra=()):
        return f"{fn}({', '.join(list(ys) + [f'cs[s, {k}, i]' for k in range(nc)] + at('p', P) + list(extra))})"

    def clamp(v, k):
        return f"min(max({v}, lo[{k}]), hi[{k}])"

    def inside(v, k):
        return f"(lo[{k}] <= {v} <= hi[{k}])"

    fwd_step = [f"y{k} = ys[s, {k}, i]" for k in range(ns)]
    fwd_step += [f"k1 = {call('_dfun', [f'y{k}' for k in range(ns)])}"]
    fwd_step += [f"q{k} = {clamp(f'y{k} + h * k1[{k}]', k)}" for k in range(ns)]
    fwd_step += [f"k2 = {call('_dfun', [f'q{k}' for k in range(ns)])}"]
    fwd_step += [f"y[{k}, i] = {clamp(f'y{k} + h * (0.5 * k1[{k}] + 0.5 * k2[{k}])', k)}" for k in range(ns)]

    bwd_step = [f"y{k} = ys[s, {k}, i]" for k in range(ns)]
    bwd_step += [f"k1 = {call('_dfun', [f'y{k}' for k in range(ns)])}"]
    bwd_step += [f"r{k} = y{k} + h * k1[{k}]" for k in range(ns)]
    bwd_step += [f"q{k} = {clamp(f'r{k}', k)}" for k in range(ns)]
    bwd_step += [f"k2 = {call('_dfun', [f'q{k}' for k in range(ns)])}"]
    bwd_step += [f"an{k} = a[{k}, i] if {inside(f'y{k} + h * (0.5 * k1[{k}] + 0.5 * k2[{k}])', k)} else 0.0" for k in range(ns)]
    bwd_step += [f"ak{k} = 0.5 * h * an{k}" for k in range(ns)]
    bwd_step += [f"v2 = {call('_vjp', [f'q{k}' for k in range(ns)], [f'ak{k}' for k in range(ns)])}"]
    bwd_step += [f"aq{k} = v2[{k}] if {inside(f'r{k}', k)} else 0.0" for k in range(ns)]
    bwd_step += [f"v1 = {call('_vjp', [f'y{k}' for k in range(ns)], [f'ak{k} + h * aq{k}' for k in range(ns)])}"]
    bwd_step += [f"a[{k}, i] = an{k} + aq{k} + v1[{k}]" for k in range(ns)]
    bwd_step += [f"ac[{k}, i] = v1[{ns + k}] + v2[{ns + k}]" for k in range(nc)]
    bwd_step += [f"gp[{j}, i] += v1[{ns + nc + j}] + v2[{ns + nc + j}]" for j in range(npar)]

    def matvec(vals, ptr, idx, x, target):
        # CSR rows; a dense matrix comes as a full CSR (nnz = n^2, row-major values), summed as contiguous rows (SIMD)
        return (f"for i in range(n):\n    acc = 0.0\n    if nnz == n * n:\n        for j in range(n):\n"
                f"            acc += {vals}[i * n + j] * {x.format('j')}\n    else:\n"
                f"        for q in range({ptr}[i], {ptr}[i + 1]):\n            acc += {vals}[q] * {x.format(idx + '[q]')}\n"
                f"    {target}")

    coupling_fwd = "\n".join(matvec("iv", "ip", "ix", f"y[{k}, {{}}]", f"cs[s, {ci}, i] = ca * (acc - wsum[i] * y[{k}, i])")
                              for ci, k in enumerate(cidx))
    coupling_bwd = "\n".join(matvec("tv", "tp", "tx", f"ac[{ci}, {{}}]", f"a[{k}, i] += ca * (acc - wsum[i] * ac[{ci}, i])")
                              for ci, k in enumerate(cidx))
    # the custom calls' buffers after the two headers (sizes, then dt and a), as (shape, dtype), in the kernels' order
    f8, i8, nc1 = "np.float64", "np.int64", max(nc, 1)
    state, pars, traj = ((f"({ns},)", f8),) * 2, ((f"({npar}, n)", f8), (f"({ns}, n)", f8)), ((f"(steps, {ns}, n)", f8), (f"(steps, {nc1}, n)", f8))
    csr = (("(n + 1,)", i8), ("(nnz,)", i8), ("(nnz,)", f8), ("(n,)", f8))
    fwd_in, fwd_out = state + pars + csr, (("(T, n)", f8),) + traj
    bwd_in, bwd_out = state + pars + traj + (("(T, n)", f8),) + csr, pars
    record = "rec = 0 if s == first - 1 else (1 + (s - first) // sps if s >= first and (s - first + 1) % sps == 0 else -1)"
    src = f'''
import math
import numpy as np
import numba
from numba import types, carray

_FM = {{"nsz", "arcp", "contract", "afn", "reassoc"}}  # fast math that still honours infinities and NaN (full fast math measured no faster)

@numba.njit(inline="always", fastmath=_FM)
def _dfun({", ".join(S + C + P)}):
{ind(body)}
    return {tup(outs)}

@numba.njit(inline="always", fastmath=_FM)
def _vjp({", ".join(S + C + P + G)}):
{ind(body)}
{ind(vbody)}
    return {tup(adj)}

@numba.njit(nogil=True, fastmath=_FM)
def forward(n, T, first, sps, dt, ca, lo, hi, p, init, ip, ix, iv, wsum, out, ys, cs):
    nnz = iv.shape[0]
    y = np.empty(({ns}, n))
    for k in range({ns}):
        for i in range(n):
            y[k, i] = min(max(init[k, i], lo[k]), hi[k])
    h1 = sps * dt / first
    for s in range(first + (T - 1) * sps):
        h = h1 if s < first else dt
        ys[s] = y
{textwrap.indent(coupling_fwd, " " * 8)}
        for i in range(n):
{textwrap.indent(chr(10).join(fwd_step), " " * 12)}
        {record}
        if rec >= 0:
            out[rec] = y[0]

@numba.njit(nogil=True, fastmath=_FM)
def backward(n, T, first, sps, dt, ca, lo, hi, p, init, ys, cs, g, tp, tx, tv, wsum, gp, ginit):
    nnz = tv.shape[0]
    a = np.zeros(({ns}, n))
    ac = np.zeros(({max(nc, 1)}, n))
    gp[:] = 0.0
    h1 = sps * dt / first
    for s in range(first + (T - 1) * sps - 1, -1, -1):
        {record}
        if rec >= 0:
            a[0] += g[rec]
        h = h1 if s < first else dt
        for i in range(n):
{textwrap.indent(chr(10).join(bwd_step), " " * 12)}
{textwrap.indent(coupling_bwd, " " * 8)}
    for k in range({ns}):
        for i in range(n):
            ginit[k, i] = a[k, i] if lo[k] <= init[k, i] <= hi[k] else 0.0

_SIG = types.void(types.CPointer(types.voidptr), types.CPointer(types.voidptr), types.voidptr, types.uint64, types.voidptr)

{_cfunc('forward_call', 'forward', fwd_in, fwd_out)}

{_cfunc('backward_call', 'backward', bwd_in, bwd_out)}
'''
    return src


def _cfunc(name: str, kernel: str, ins, outs) -> str:
    """Source of a custom-call entry point: unpack the sizes, view every buffer as an array, call ``kernel``."""
    args = [f"carray(ins[{k + 2}], {shape}, dtype={dt})" for k, (shape, dt) in enumerate(ins)]
    args += [f"carray(out_ptr[{k}], {shape}, dtype={dt})" for k, (shape, dt) in enumerate(outs)]
    return (f"@numba.cfunc(_SIG)\ndef {name}(out_ptr, ins, opaque, opaque_len, status):\n"
            "    d = carray(ins[0], (5,), dtype=np.int64)\n"
            "    n, T, first, sps, nnz = d[0], d[1], d[2], d[3], d[4]\n"
            "    f = carray(ins[1], (2,), dtype=np.float64)\n"
            "    steps = first + (T - 1) * sps\n"
            f"    {kernel}(n, T, first, sps, f[0], f[1],\n        " + ",\n        ".join(args) + ")\n")


def _targets(model: Model) -> tuple[str, str]:
    """Compile (once per process and model definition) and register the two custom calls; their target names."""
    import jax
    src = _sources(model)
    key = hashlib.sha1(src.encode()).hexdigest()[:16]
    if key not in _REGISTERED:
        ns: dict = {}
        exec(compile(src, f"<braintwin.adjoint {model.name}>", "exec"), ns)
        capsule = ctypes.pythonapi.PyCapsule_New
        capsule.restype, capsule.argtypes = ctypes.py_object, (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
        names = (f"braintwin_heun_fwd_{key}", f"braintwin_heun_bwd_{key}")
        for name, fn in zip(names, (ns["forward_call"], ns["backward_call"])):
            jax.ffi.register_ffi_target(name, capsule(fn.address, b"xla._CUSTOM_CALL_TARGET", None), platform="cpu", api_version=0)
        _REGISTERED[key] = (*names, ns)
    return _REGISTERED[key][0], _REGISTERED[key][1]


def heun_ode(model: Model, weights, *, dt: float, n_samples: int, steps_per_sample: int = 1, first_steps: int | None = None,
             coupling_a: float = 1.0, lower=None, upper=None) -> Callable:
    """The Heun forward run of ``model`` on ``weights`` as a JAX function with a numba adjoint.

    Parameters
    ----------
    model : Model
        Its ``dfun`` is traced (state variables, one coupling input per
        ``coupling_vars``, every parameter per region).
    weights : array (n_regions, n_regions)
        Coupling weights; difference coupling ``c_i = a sum_j w_ij (x_j - x_i)``.
    dt : float
        Heun step after the first sample.
    n_samples : int
        Recorded samples: the first state variable after the first sample's
        steps, then every ``steps_per_sample`` steps.
    steps_per_sample, first_steps : int
        Steps per sample, and equal steps of ``steps_per_sample * dt /
        first_steps`` for the first sample (default ``steps_per_sample``).
    coupling_a : float
        The difference coupling's scale ``a``.
    lower, upper : array (n_state,), optional
        State bounds applied after each Heun stage (default none).

    Returns
    -------
    callable
        ``run(params, init) -> x (n_samples, n_regions)`` with ``params``
        ``(n_parameters, n_regions)`` in ``model.parameter_names`` order and
        ``init`` ``(n_state, n_regions)``, float64.  Differentiable once in
        reverse mode (:func:`jax.grad`, :func:`jax.vjp`), jit-able and
        vmap-able (a batch runs its members one after the other).

    Raises
    ------
    ValueError
        When :func:`supported` says no.
    """
    import jax
    import jax.numpy as jnp
    import scipy.sparse as sp

    why = supported(model, Difference(a=coupling_a))
    if why:
        raise ValueError(f"heun_ode: {why}")
    fwd_name, bwd_name = _targets(model)
    W = np.asarray(weights, float)
    n = W.shape[0]
    A, AT = sp.csr_matrix(W), sp.csr_matrix(W.T)
    wsum = W.sum(axis=1)
    T, sps = int(n_samples), int(steps_per_sample)
    first = sps if first_steps is None else max(sps, int(first_steps))
    steps = first + (T - 1) * sps
    ns, npar = len(model.state_names), len(model.parameter_names)
    nc = max(len(model.coupling_vars), 1)
    lo = np.full(ns, -np.inf) if lower is None else np.asarray(lower, float).reshape(ns)
    hi = np.full(ns, np.inf) if upper is None else np.asarray(upper, float).reshape(ns)
    # above ~10 % non-zeros the contiguous dense rows are faster than indirect sparse reads (tvb96 clinical: 42 %)
    dense = A.nnz > DENSE_ABOVE * n * n

    def csr(M):
        if dense:  # a full CSR: every row lists every column, values row-major
            return (np.arange(0, n * n + 1, n, dtype=np.int64), np.tile(np.arange(n, dtype=np.int64), n), M.toarray().ravel())
        return M.indptr.astype(np.int64), M.indices.astype(np.int64), M.data.astype(np.float64)

    a_csr, at_csr = csr(A), csr(AT)
    dims = np.array([n, T, first, sps, len(a_csr[2])], np.int64)
    fl = np.array([float(dt), float(coupling_a)])
    f64 = lambda s: jax.ShapeDtypeStruct(s, jnp.float64)  # noqa: E731
    call_fwd = jax.ffi.ffi_call(fwd_name, (f64((T, n)), f64((steps, ns, n)), f64((steps, nc, n))),
                                custom_call_api_version=3, vmap_method="sequential")
    call_bwd = jax.ffi.ffi_call(bwd_name, (f64((npar, n)), f64((ns, n))), custom_call_api_version=3, vmap_method="sequential")
    const = lambda: (jnp.asarray(dims), jnp.asarray(fl), jnp.asarray(lo), jnp.asarray(hi))  # noqa: E731

    def _fwd_all(params, init):
        return call_fwd(*const(), params, init, *map(jnp.asarray, a_csr), jnp.asarray(wsum))

    @jax.custom_vjp
    def run(params, init):
        return _fwd_all(params, init)[0]

    def run_fwd(params, init):
        x, ys, cs = _fwd_all(params, init)
        return x, (params, init, ys, cs)

    def run_bwd(res, g):
        params, init, ys, cs = res
        gp, ginit = call_bwd(*const(), params, init, ys, cs, g, *map(jnp.asarray, at_csr), jnp.asarray(wsum))
        return gp, ginit

    run.defvjp(run_fwd, run_bwd)

    def checked(params, init):
        params = jnp.asarray(params)
        init = jnp.asarray(init)
        if params.dtype != jnp.float64 or init.dtype != jnp.float64:
            raise ValueError("heun_ode: params and init must be float64 (enable jax_enable_x64)")
        if params.shape[-2:] != (npar, n) or init.shape[-2:] != (ns, n):
            raise ValueError(f"heun_ode: params must be ({npar}, {n}) and init ({ns}, {n}); got {params.shape} and {init.shape}")
        return run(params, init)

    return checked
