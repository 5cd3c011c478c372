"""The numba CPU engine: a kernel generated from the model's one definition.

For a given (model, coupling, integrator, outputs, noisy variables) the engine
traces ``dfun``, ``pre``, ``post`` and the output expressions
(:mod:`braintwin.models.symbolic`) and generates one ``nogil`` numba function
that integrates a chunk of steps of one simulation:

* **Delays** live in a ring buffer of the coupling's history signals
  ``pre(x)`` (regions x time, time contiguous).  Edges whose delay is at least
  the block length ``B`` ("long" edges) are summed for a whole block of ``B``
  steps at once: their inputs are already in the history, so each edge is one
  contiguous multiply-add over ``B`` values.  Shorter edges (including zero
  delays, which read the current state) are summed step by step.
* **Heun** follows TVB: the delayed coupling is computed once per step and
  held through predictor and corrector; the same noise increment is used in
  both; state bounds are applied after the predictor and after the corrector.
  Since the coupling is held, each region's step is independent, so the whole
  scheme runs region by region in registers.
* **Monitors** are reduced inside the kernel (temporal average or sample every
  ``period`` steps), so a long run never stores every step.
* **Divergence**: a non-finite state stops the chunk and reports the step and
  region.
"""

from __future__ import annotations

import functools
import math
import textwrap

import numba
import numpy as np

from ..models.base import Model
from ..models.coupling import Coupling
from ..models.symbolic import expression_function, trace_function
from .integrators import INTEGRATORS, update_source

__all__ = ["build_kernel", "KernelSpec", "generate_source", "INTEGRATORS"]



class KernelSpec:
    """What the generated kernel needs to know at compile time."""

    def __init__(self, model: Model, coupling: Coupling, method: str, outputs: tuple[str, ...], noisy: tuple[int, ...], has_stim: bool, used_history: tuple[int, ...] | None = None):
        self.used_history = used_history
        self.model = model
        self.coupling = coupling
        self.method = method
        self.outputs = outputs
        self.noisy = noisy
        self.has_stim = has_stim



def _fn_source(name: str, args: list[str], body: str, outs: list[str]) -> str:
    ret = outs[0] + "," if len(outs) == 1 else ", ".join(outs)
    return f"def {name}({', '.join(args)}):\n{textwrap.indent(body, '    ') if body else ''}\n    return ({ret})\n"


def generate_source(spec: KernelSpec) -> str:
    """Python source of the kernel (compiled by :func:`build_kernel`)."""
    model, cpl = spec.model, spec.coupling
    S = model.state_names
    P = model.parameter_names
    Q = cpl.parameter_names
    cv_idx = [S.index(v) for v in model.coupling_vars]
    n_cv = len(cv_idx)
    n_hist = cpl.n_history(n_cv)
    n_c = cpl.n_terms(n_cv)
    st_idx = [S.index(v) for v in model.stimulus_vars]

    ys = [f"y_{s}" for s in S]
    ps = [f"p_{p}" for p in P]
    qs = [f"q_{q}" for q in Q]
    cs = [f"c_{k}" for k in range(n_c)]
    xs = [f"x_{k}" for k in range(n_cv)]
    gs = [f"g_{k}" for k in range(n_hist)]

    body, outs = trace_function(model.dfun, [("ns", S, "y_"), ("tuple", cs, "c_"), ("ns", P, "p_")], n_out=len(S))
    # parameters are read inside _dfun: a call with more than ~30 arguments does not compile
    load_params = "\n".join(f"{p} = P[{k}, i]" for k, p in enumerate(ps))
    src = [_fn_source("_dfun", ys + cs + ["P", "i"], load_params + ("\n" if load_params else "") + body, outs)]
    body, outs = trace_function(cpl.pre, [("tuple", xs, "x_"), ("ns", Q, "q_")], n_out=n_hist)
    src.append(_fn_source("_pre", xs + qs, body, outs))
    body, outs = trace_function(cpl.post, [("tuple", gs, "g_"), ("tuple", xs, "x_"), ("sym", [], "wsum"), ("ns", Q, "q_")], n_out=n_c)
    src.append(_fn_source("_post", gs + xs + ["wsum"] + qs, body, outs))
    out_fns = [expression_function(e) for e in spec.outputs]
    body, outs = trace_function(lambda y, m: tuple(f(y, m) for f in out_fns), [("ns", S, "y_")], n_out=len(spec.outputs))
    src.append(_fn_source("_out", ys, body, outs))

    lo, hi = model.state_bounds()

    def clamp(names):
        lines = []
        for k, n in enumerate(names):
            # selects, not branches (vectorisable); NaN passes through, as numpy.clip lets it
            if np.isfinite(lo[k]):
                lines.append(f"{n} = {float(lo[k])!r} if {n} < {float(lo[k])!r} else {n}")
            if np.isfinite(hi[k]):
                lines.append(f"{n} = {float(hi[k])!r} if {n} > {float(hi[k])!r} else {n}")
        return lines

    noise_slot = {sv: k for k, sv in enumerate(spec.noisy)}

    def incr(k):  # additive terms of one step for state k: noise and stimulus
        t = ""
        if k in noise_slot:
            t += f" + z_{k}"
        if spec.has_stim and k in st_idx:
            t += " + dt * st"
        return t

    dcall = lambda args: f"_dfun({', '.join(args + cs + ['P', 'i'])})"  # noqa: E731
    lines = update_source(spec.method, ys, incr, clamp, dcall)
    update = "\n".join(lines)

    load_y = "\n".join(f"{y} = x[{k}, i]" for k, y in enumerate(ys))
    load_q = "\n".join(f"{q} = CQ[{k}]" for k, q in enumerate(qs)) or "pass"
    load_z = "\n".join(f"z_{sv} = zbuf[{slot}, i] * nscale[{slot}, i]" for sv, slot in noise_slot.items())
    store = "\n".join(f"x[{k}, i] = n_{k}" for k in range(len(S)))
    finite = " and ".join(f"abs(n_{k}) < 1e300" for k in range(len(S)))
    xi_load = "\n".join(f"x_{k} = x[{cv}, i]" for k, cv in enumerate(cv_idx))
    out_store = "\n".join(f"ocur[{k}, i] = o[{k}]" for k in range(len(spec.outputs)))
    g_save = "\n".join(f"garr[{k}, i] = g_{k}" for k in range(n_hist))
    g_load = "\n".join(f"g_{k} = garr[{k}, i]" for k in range(n_hist))
    finite_x = " and ".join(f"abs(x[{k}, i]) < 1e300" for k in range(len(S)))
    nz = len(spec.noisy)

    used = spec.used_history if spec.used_history is not None else tuple(range(n_hist))
    g_init = "\n".join(f"g_{k} = {'gxl[' + str(k) + ', i, sb]' if k in used else '0.0'}" for k in range(n_hist))
    g_zero = "\n".join(f"g_{k} = 0.0" for k in range(n_hist))
    g_short_cur = "\n".join(f"g_{k} += w * cur[{k}, sb - dd, j]" for k in used) or "pass"
    g_short_old = "\n".join(f"g_{k} += w * hbuf[{k}, j, (t - dd) & mask]" for k in used) or "pass"
    h_store = "\n".join(f"cur[{k}, sb, i] = h[{k}]" for k in used) or "pass"
    flush = "\n".join(
        f"for u in range(B):\n    hbuf[{k}, i, (t0 + u) & mask] = cur[{k}, u, i]" for k in used
    ) or "pass"
    block = "\n".join(
        f'''dst = gxl[{k}, i]
s1 = hbuf[{k}, j, start:start + n1]
for u in range(n1):
    dst[u] += w * s1[u]
if n1 < B:
    s2 = hbuf[{k}, j, 0:B - n1]
    d2 = gxl[{k}, i, n1:B]
    for u in range(B - n1):
        d2[u] += w * s2[u]''' for k in used) or "pass"

    main = f'''
def chunk(x, hbuf, cur, gxl, t_start, n, dt, P, CQ,
          l_ptr, l_idx, l_w, l_d, s_ptr, s_idx, s_w, s_d, wsum, B, mask,
          noise, nscale, rng, use_rng, zbuf, garr, stim, periods, is_avg, acc, cnt, mout, rows, ocur):
    N = x.shape[1]
    L = hbuf.shape[2]
{textwrap.indent(load_q, "    ")}
    n_long = l_idx.shape[0]
    n_mon = periods.shape[0]
    for s in range(n):
        t = t_start + s
        sb = t % B
        if {nz} > 0:
            # noise in step-major order, as one bulk draw of (n_steps, n_noisy, n_regions) would give
            if use_rng:
                for kk in range({nz}):
                    for i in range(N):
                        zbuf[kk, i] = rng.standard_normal()
            else:
                for kk in range({nz}):
                    for i in range(N):
                        zbuf[kk, i] = noise[s, kk, i]
        if sb == 0 and t > 0:
            t0 = t - B
            for i in range(N):
{textwrap.indent(flush, "                ")}
        if n_long > 0 and sb == 0:
            gxl[:, :, :] = 0.0
            for i in range(N):
                for e in range(l_ptr[i], l_ptr[i + 1]):
                    j = l_idx[e]
                    w = l_w[e]
                    start = (t - l_d[e]) & mask
                    n1 = min(B, L - start)
{textwrap.indent(block, "                    ")}
        for i in range(N):
{textwrap.indent(xi_load, "            ")}
            h = _pre({", ".join(xs + qs)})
{textwrap.indent(h_store, "            ")}
        for i in range(N):
            if n_long > 0:
{textwrap.indent(g_init, "                ")}
            else:
{textwrap.indent(g_zero, "                ")}
            for e in range(s_ptr[i], s_ptr[i + 1]):
                j = s_idx[e]
                w = s_w[e]
                dd = s_d[e]
                if dd <= sb:
{textwrap.indent(g_short_cur, "                    ")}
                else:
{textwrap.indent(g_short_old, "                    ")}
{textwrap.indent(g_save, "            ")}
        # every region's step is independent (the coupling is held): a branch-free, vectorisable loop
        nbad = 0
        for i in range(N):
{textwrap.indent(g_load, "            ")}
{textwrap.indent(xi_load, "            ")}
            cc = _post({", ".join(gs + xs)}, wsum[i]{", " if qs else ""}{", ".join(qs)})
{textwrap.indent(chr(10).join(f"{c} = cc[{k}]" for k, c in enumerate(cs)), "            ")}
{textwrap.indent(load_y, "            ")}
{textwrap.indent(load_z, "            ")}
            st = stim[s, i] if {spec.has_stim} else 0.0
{textwrap.indent(update, "            ")}
            nbad += not ({finite})
{textwrap.indent(store, "            ")}
            o = _out({", ".join(f"n_{k}" for k in range(len(S)))})
{textwrap.indent(out_store, "            ")}
        if nbad > 0:
            for i in range(N):
                if not ({finite_x}):
                    return 1, t, i
        for mi in range(n_mon):
            if is_avg[mi]:
                for k in range(ocur.shape[0]):
                    for i in range(N):
                        acc[mi, k, i] += ocur[k, i]
        for mi in range(n_mon):
            cnt[mi] += 1
            if cnt[mi] == periods[mi]:
                r = rows[mi]
                if is_avg[mi]:
                    inv = 1.0 / periods[mi]
                    for k in range(ocur.shape[0]):
                        for i in range(N):
                            mout[mi, r, k, i] = acc[mi, k, i] * inv
                            acc[mi, k, i] = 0.0
                else:
                    for k in range(ocur.shape[0]):
                        for i in range(N):
                            mout[mi, r, k, i] = ocur[k, i]
                rows[mi] = r + 1
                cnt[mi] = 0
    return 0, -1, -1
'''
    src.append(main)
    return "\n".join(src)


@functools.lru_cache(maxsize=64)
def _compile(source: str):
    ns: dict = {"math": math, "np": np}
    exec(compile(source, "<braintwin-kernel>", "exec"), ns)
    jit = functools.partial(numba.njit, cache=False, fastmath=False, error_model="numpy")
    for name in ("_dfun", "_pre", "_post", "_out"):
        ns[name] = jit(inline="always")(ns[name])
    ns["chunk"] = jit(nogil=True, boundscheck=False)(ns["chunk"])
    return ns["chunk"]


def build_kernel(spec: KernelSpec):
    """The compiled chunk kernel for ``spec`` (cached by generated source)."""
    return _compile(generate_source(spec))
