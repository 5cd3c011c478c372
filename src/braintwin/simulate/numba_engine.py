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
import string
import textwrap
from typing import NamedTuple

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


#: The chunk kernel: ``n`` steps of every region, with the delayed coupling,
#: noise, stimulus, the divergence check and the monitors.  ``$name`` marks
#: generated code (:func:`generate_source`).
_CHUNK = """
def chunk(x, hbuf, cur, gxl, t_start, n, dt, P, CQ,
          l_ptr, l_idx, l_w, l_d, s_ptr, s_idx, s_w, s_d, wsum, B, mask,
          noise, nscale, rng, use_rng, zbuf, garr, stim, periods, is_avg, acc, cnt, mout, rows, ocur):
    N = x.shape[1]
    L = hbuf.shape[2]
    $load_q
    n_long = l_idx.shape[0]
    n_mon = periods.shape[0]
    for s in range(n):
        t = t_start + s
        sb = t % B
        if $nz > 0:
            # noise in step-major order, as one bulk draw of (n_steps, n_noisy, n_regions) would give
            if use_rng:
                for kk in range($nz):
                    for i in range(N):
                        zbuf[kk, i] = rng.standard_normal()
            else:
                for kk in range($nz):
                    for i in range(N):
                        zbuf[kk, i] = noise[s, kk, i]
        if sb == 0 and t > 0:
            t0 = t - B
            for i in range(N):
                $flush
        if n_long > 0 and sb == 0:
            gxl[:, :, :] = 0.0
            for i in range(N):
                for e in range(l_ptr[i], l_ptr[i + 1]):
                    j = l_idx[e]
                    w = l_w[e]
                    start = (t - l_d[e]) & mask
                    n1 = min(B, L - start)
                    $block
        for i in range(N):
            $xi_load
            h = _pre($pre_args)
            $h_store
        for i in range(N):
            if n_long > 0:
                $g_init
            else:
                $g_zero
            for e in range(s_ptr[i], s_ptr[i + 1]):
                j = s_idx[e]
                w = s_w[e]
                dd = s_d[e]
                if dd <= sb:
                    $g_short_cur
                else:
                    $g_short_old
            $g_save
        # every region's step is independent (the coupling is held): a branch-free, vectorisable loop
        nbad = 0
        for i in range(N):
            $g_load
            $xi_load
            cc = _post($post_args)
            $unpack_c
            $load_y
            $load_z
            st = stim[s, i] if $has_stim else 0.0
            $update
            nbad += not ($finite)
            $store
            o = _out($new_state)
            $out_store
        if nbad > 0:
            for i in range(N):
                if not ($finite_x):
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
"""


class _Names(NamedTuple):
    """Variable names of the generated code (state ``y_*``, parameters ``p_*``/``q_*``, inputs ``c_*``, ...)."""

    S: tuple
    ys: list
    ps: list
    qs: list
    cs: list
    xs: list
    gs: list
    cv_idx: list
    st_idx: list


def _names(spec: KernelSpec) -> _Names:
    model, cpl = spec.model, spec.coupling
    S = model.state_names
    cv_idx = [S.index(v) for v in model.coupling_vars]
    n_hist = cpl.n_history(len(cv_idx))
    return _Names(
        S, [f"y_{s}" for s in S], [f"p_{p}" for p in model.parameter_names], [f"q_{q}" for q in cpl.parameter_names],
        [f"c_{k}" for k in range(cpl.n_terms(len(cv_idx)))], [f"x_{k}" for k in range(len(cv_idx))],
        [f"g_{k}" for k in range(n_hist)], cv_idx, [S.index(v) for v in model.stimulus_vars],
    )


def _device_functions(spec: KernelSpec, nm: _Names) -> list[str]:
    """Sources of ``_dfun``, ``_pre``, ``_post`` and ``_out``, traced from the model's and coupling's own definitions."""
    model, cpl = spec.model, spec.coupling
    body, outs = trace_function(model.dfun, [("ns", nm.S, "y_"), ("tuple", nm.cs, "c_"), ("ns", model.parameter_names, "p_")], n_out=len(nm.S))
    # parameters are read inside _dfun: a call with more than ~30 arguments does not compile
    load_params = "\n".join(f"{p} = P[{k}, i]" for k, p in enumerate(nm.ps))
    src = [_fn_source("_dfun", nm.ys + nm.cs + ["P", "i"], load_params + ("\n" if load_params else "") + body, outs)]
    body, outs = trace_function(cpl.pre, [("tuple", nm.xs, "x_"), ("ns", cpl.parameter_names, "q_")], n_out=len(nm.gs))
    src.append(_fn_source("_pre", nm.xs + nm.qs, body, outs))
    body, outs = trace_function(
        cpl.post, [("tuple", nm.gs, "g_"), ("tuple", nm.xs, "x_"), ("sym", [], "wsum"), ("ns", cpl.parameter_names, "q_")], n_out=len(nm.cs)
    )
    src.append(_fn_source("_post", nm.gs + nm.xs + ["wsum"] + nm.qs, body, outs))
    out_fns = [expression_function(e) for e in spec.outputs]
    body, outs = trace_function(lambda y, m: tuple(f(y, m) for f in out_fns), [("ns", nm.S, "y_")], n_out=len(spec.outputs))
    src.append(_fn_source("_out", nm.ys, body, outs))
    return src


def _update(spec: KernelSpec, nm: _Names) -> str:
    """One integration step of a region: the method's stage table written out (:func:`update_source`)."""
    lo, hi = spec.model.state_bounds()

    def clamp(names):
        lines = []
        for k, n in enumerate(names):
            # selects, not branches (vectorisable); NaN passes through, as numpy.clip lets it
            if np.isfinite(lo[k]):
                lines.append(f"{n} = {float(lo[k])!r} if {n} < {float(lo[k])!r} else {n}")
            if np.isfinite(hi[k]):
                lines.append(f"{n} = {float(hi[k])!r} if {n} > {float(hi[k])!r} else {n}")
        return lines

    def incr(k):  # additive terms of one step for state k: noise and stimulus
        return (f" + z_{k}" if k in spec.noisy else "") + (" + dt * st" if spec.has_stim and k in nm.st_idx else "")

    def dcall(args):
        return f"_dfun({', '.join(args + nm.cs + ['P', 'i'])})"

    return "\n".join(update_source(spec.method, nm.ys, incr, clamp, dcall))


def _history_snippets(spec: KernelSpec, nm: _Names) -> dict[str, str]:
    """Code that keeps the coupling's history signals (ring buffer, block sums of long delays, short delays)."""
    n_hist = len(nm.gs)
    used = spec.used_history if spec.used_history is not None else tuple(range(n_hist))
    block = "\n".join(
        f"""dst = gxl[{k}, i]
s1 = hbuf[{k}, j, start:start + n1]
for u in range(n1):
    dst[u] += w * s1[u]
if n1 < B:
    s2 = hbuf[{k}, j, 0:B - n1]
    d2 = gxl[{k}, i, n1:B]
    for u in range(B - n1):
        d2[u] += w * s2[u]""" for k in used)
    return {
        "g_save": "\n".join(f"garr[{k}, i] = g_{k}" for k in range(n_hist)),
        "g_load": "\n".join(f"g_{k} = garr[{k}, i]" for k in range(n_hist)),
        "g_init": "\n".join(f"g_{k} = {'gxl[' + str(k) + ', i, sb]' if k in used else '0.0'}" for k in range(n_hist)),
        "g_zero": "\n".join(f"g_{k} = 0.0" for k in range(n_hist)),
        "g_short_cur": "\n".join(f"g_{k} += w * cur[{k}, sb - dd, j]" for k in used) or "pass",
        "g_short_old": "\n".join(f"g_{k} += w * hbuf[{k}, j, (t - dd) & mask]" for k in used) or "pass",
        "h_store": "\n".join(f"cur[{k}, sb, i] = h[{k}]" for k in used) or "pass",
        "flush": "\n".join(f"for u in range(B):\n    hbuf[{k}, i, (t0 + u) & mask] = cur[{k}, u, i]" for k in used) or "pass",
        "block": block or "pass",
    }


def _region_snippets(spec: KernelSpec, nm: _Names) -> dict[str, str]:
    """Code that loads a region's state, parameters, noise and inputs, and stores its new state and outputs."""
    n_s = len(nm.S)
    noise_slot = {sv: k for k, sv in enumerate(spec.noisy)}
    return {
        "load_y": "\n".join(f"{y} = x[{k}, i]" for k, y in enumerate(nm.ys)),
        "load_q": "\n".join(f"{q} = CQ[{k}]" for k, q in enumerate(nm.qs)) or "pass",
        "load_z": "\n".join(f"z_{sv} = zbuf[{slot}, i] * nscale[{slot}, i]" for sv, slot in noise_slot.items()),
        "store": "\n".join(f"x[{k}, i] = n_{k}" for k in range(n_s)),
        "finite": " and ".join(f"abs(n_{k}) < 1e300" for k in range(n_s)),
        "finite_x": " and ".join(f"abs(x[{k}, i]) < 1e300" for k in range(n_s)),
        "xi_load": "\n".join(f"x_{k} = x[{cv}, i]" for k, cv in enumerate(nm.cv_idx)),
        "out_store": "\n".join(f"ocur[{k}, i] = o[{k}]" for k in range(len(spec.outputs))),
        "unpack_c": "\n".join(f"{c} = cc[{k}]" for k, c in enumerate(nm.cs)),
        "new_state": ", ".join(f"n_{k}" for k in range(n_s)),
        "pre_args": ", ".join(nm.xs + nm.qs),
        "post_args": f"{', '.join(nm.gs + nm.xs)}, wsum[i]{', ' if nm.qs else ''}{', '.join(nm.qs)}",
        "nz": str(len(spec.noisy)),
        "has_stim": str(spec.has_stim),
    }


def _fill(template: str, snippets: dict[str, str]) -> str:
    """Put ``snippets`` into ``template``: a line holding only ``$name`` takes the snippet at its indentation."""
    out = []
    for line in template.split("\n"):
        body = line.strip()
        if body.startswith("$") and body[1:].isidentifier():
            out.append(textwrap.indent(snippets[body[1:]], line[: len(line) - len(line.lstrip())]))
        else:
            out.append(string.Template(line).substitute(snippets))
    return "\n".join(out)


def generate_source(spec: KernelSpec) -> str:
    """Python source of the kernel (compiled by :func:`build_kernel`).

    The device functions are traced from the model's and the coupling's
    definitions, the step is the method's stage table
    (:mod:`braintwin.simulate.integrators`), and :data:`_CHUNK` is the loop
    over steps and regions they are put into.

    Examples
    --------
    >>> from braintwin.models import MontbrioPazoRoxin, Linear
    >>> src = generate_source(KernelSpec(MontbrioPazoRoxin(), Linear(), "heun", ("r",), (), False))
    >>> "def chunk(" in src and "def _dfun(" in src
    True
    """
    nm = _names(spec)
    src = _device_functions(spec, nm)
    snippets = {**_history_snippets(spec, nm), **_region_snippets(spec, nm), "update": _update(spec, nm)}
    src.append(_fill(_CHUNK, snippets))
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
