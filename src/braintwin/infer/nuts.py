"""A NUTS driver for NumPyro models: MAP + Laplace start, dense mass, short warm-up, chains spread over devices.

What makes it fast (the Bayesian VEP in minutes instead of hours):

1. **MAP start.**  The model's potential (negative log joint, unconstrained
   space) is minimised with BFGS (:func:`jax.scipy.optimize.minimize`) from
   several starts (the prior median and random draws); the best optimum wins.
2. **Laplace mass matrix.**  The Hessian of the potential at the MAP is
   inverted (eigenvalues floored) and used as NUTS's dense inverse mass
   matrix: the sampler starts already preconditioned, so warm-up only has to
   tune the step size (``mass="laplace"``; ``"adapt"`` also lets NumPyro's
   windowed dense adaptation refine it, which needs a long warm-up in high
   dimension).
3. **Dispersed inits** drawn from the Laplace approximation, so chains start in
   the typical set but not at the same point (R-hat stays meaningful).
4. **Chains split over devices** with ``jax.pmap`` when several are visible.  On
   CPU devices each runs its share one after the other (``"sequential"``, the
   default there: 1.5x less time on the tvb76 VEP, 1.1-1.3x on the demo's 10
   regions, see :func:`_compiled_block`); an accelerator runs its share vmapped
   in lockstep (``"parallel"``).  On a CPU, JAX shows one device unless the entry point calls
   ``numpyro.set_host_device_count(n)`` *before* JAX starts (the CLI and the
   benchmark do; a library must not).
5. **Blocks of iterations** run inside one compiled ``lax.scan``; compilation
   is done ahead of time and timed separately (``timings["compile"]``).

Never silent: every result carries :class:`~braintwin.infer.diagnostics.Diagnostics`
and a fit whose diagnostics fail warns (:class:`~braintwin.errors.BraintwinWarning`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import InputError
from .diagnostics import Diagnostics, diagnose
from .laplace import MAPResult, _Flat, _laplace_cov, find_map, laplace_curvature, potential_of, x64  # noqa: F401 (re-exported)

__all__ = ["NUTSResult", "MAPResult", "run_nuts", "find_map", "x64", "potential_of", "laplace_curvature"]


@dataclass
class NUTSResult:
    """Result of :func:`run_nuts`.

    Attributes
    ----------
    samples : dict of str to ndarray (n_chains, n_draws, ...)
        Every sample site (constrained) and deterministic site.
    z : ndarray (n_chains, n_draws, n_dim)
        Flat unconstrained draws.
    diverging, num_steps, accept_prob : ndarray (n_chains, n_draws)
    warmup_diverging : ndarray (n_chains, n_warmup)
    step_size : ndarray (n_chains,)
    inverse_mass_matrix : ndarray (n_dim, n_dim)
        The mass matrix NUTS sampled with (first chain).
    map : MAPResult or None
    timings : dict of str to float
        ``map``, ``laplace``, ``compile``, ``warmup``, ``sampling``, ``total`` (s).
    diagnostics : Diagnostics
    chain_method : str
    n_devices : int
    """

    samples: dict[str, np.ndarray]
    z: np.ndarray
    diverging: np.ndarray
    num_steps: np.ndarray
    accept_prob: np.ndarray
    warmup_diverging: np.ndarray
    step_size: np.ndarray
    inverse_mass_matrix: np.ndarray
    map: MAPResult | None
    timings: dict[str, float]
    diagnostics: Diagnostics
    chain_method: str = "vectorized"
    n_devices: int = 1
    settings: dict = field(default_factory=dict)

    @property
    def n_chains(self) -> int:
        return self.z.shape[0]

    @property
    def n_draws(self) -> int:
        return self.z.shape[1]

    def flat(self, name: str) -> np.ndarray:
        """Draws of one site with chains merged: ``(n_chains * n_draws, ...)``."""
        x = self.samples[name]
        return x.reshape((-1,) + x.shape[2:])


def _progress(enabled: bool, total: int, what: str):
    """A rich progress bar on stderr (a no-op when disabled)."""
    if not enabled or total <= 0:
        return None

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    prog = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=Console(stderr=True), transient=False)
    prog.start()
    task = prog.add_task(what, total=total)
    return prog, task


def run_nuts(
    model,
    model_args: Sequence = (),
    model_kwargs: Mapping | None = None,
    *,
    num_chains: int = 4,
    num_warmup: int = 300,
    num_samples: int = 500,
    seed: int = 0,
    init: str | np.ndarray = "map",
    map_starts: int = 4,
    map_maxiter: int = 1000,
    map_inits: Sequence[np.ndarray] = (),
    mass: str = "pooled",
    pool_stages: int = 2,
    hessian_floor: float = 0.25,
    init_spread: float = 1.0,
    target_accept_prob: float = 0.9,
    max_tree_depth: int = 8,
    chain_method: str = "auto",
    step_pool: str = "min",
    block: int = 10,
    progress: bool = False,
    diagnose_sites: Sequence[str] | None = None,
    truth: Mapping[str, Any] | None = None,
    prior_sd: Mapping[str, Any] | None = None,
    rhat_max: float = 1.01,
    ess_min: float = 100.0,
    warn: bool = True,
    what: str = "NUTS",
) -> NUTSResult:
    """Run NUTS on a NumPyro model, started from a MAP/Laplace approximation.

    Parameters
    ----------
    model : callable
        A NumPyro model; ``model(*model_args, **model_kwargs)``.
    num_chains, num_warmup, num_samples : int
        Chains, warm-up iterations (step-size adaptation) and kept draws per chain.
    seed : int
    init : {"map", "prior"} or array (n_dim,) or (n_chains, n_dim)
        ``"map"``: BFGS from ``map_starts`` starts, chains drawn around it;
        ``"prior"``: the prior median plus noise; or explicit flat unconstrained starts.
    map_starts, map_maxiter : int
        Number of MAP starts and L-BFGS iterations per start.
    map_inits : sequence of arrays (n_dim,)
        Extra MAP starts tried first (e.g. a data-driven guess).
    mass : {"pooled", "laplace", "adapt", "identity"}
        Dense inverse mass matrix.  ``"pooled"`` (default): the first half of the
        warm-up samples with the Laplace covariance at the MAP, then the
        covariance of those warm-up draws pooled over all chains (blended with the
        Laplace one) is used for the second half and the sampling; ``"laplace"``:
        the Laplace covariance, fixed; ``"adapt"``: the Laplace covariance refined
        per chain by NumPyro's windowed adaptation (needs a long warm-up in high
        dimension); ``"identity"``: identity, adapted per chain.
    pool_stages : int
        With ``mass="pooled"``: the warm-up is split into this many equal stages,
        each but the first with the covariance pooled from the one before (2: the
        Laplace half, then the pooled half).  Worth raising when the Laplace
        covariance at the MAP is far narrower than the posterior (a heavy tail, a
        MAP against a wall).  On the tvb76 VEP (``benchmarks/vep_fit.py``, the same
        draws otherwise) 3 stages gave R-hat 1.0143 / 1.0074 / 1.0249 and min ESS
        114 / 572 / 183 on sampler seeds 0 / 1 / 3, against 1.0389 / 1.0044 / 1.0227
        and 121 / 264 / 176 with 2: within the seed-to-seed spread, so 2 stays.
    hessian_floor : float
        Smallest Hessian eigenvalue used (unconstrained standard-normal priors
        contribute 1, so the floor only guards against non-convex points).
    init_spread : float
        Chains start at ``MAP + init_spread * L eps`` with ``L L^T`` the Laplace covariance.
    target_accept_prob, max_tree_depth : float, int
        NUTS settings.
    step_pool : {"min", "median", "chain"}
        The step size every chain samples with, after warm-up: ``"min"`` (default),
        the smallest of the chains' adapted steps; ``"median"``; ``"chain"``, each
        chain its own (NumPyro's default).  Why: with the pooled mass matrix every
        chain samples the same posterior in the same metric, and the step that dual
        averaging ends on varies from chain to chain with the region it last
        visited.  A chain that ends with too large a step diverges and sits apart in
        the curved regions it meets later.  Measured on the tvb76 VEP
        (``benchmarks/vep_fit.py``, 4 x 300/500, same patient and seeds): per-chain
        steps 0.045-0.076, 3 divergences, all in the chain with 0.076, max R-hat
        1.0219, min ESS 85, 274 s; ``"min"``: 0 divergences, R-hat 1.0180, ESS 135,
        288 s.  Sampler seed 1: 2 divergences, R-hat 1.0103 against 0, 1.0079.
    chain_method : {"auto", "vectorized", "parallel", "sequential"}
        ``"parallel"`` splits the chains over the JAX devices (pmap), each device
        running its share vectorised in lockstep; ``"sequential"``: the same, but a
        CPU device runs its chains one after the other (see :func:`_compiled_block`).
        ``"auto"``: when several devices are visible and divide ``num_chains``,
        sequential on CPU devices and parallel on accelerators; vectorised otherwise.
        Both layouts run the same algorithm (draws equal to round-off; chaotic
        posteriors then let chains drift apart), so ``auto`` takes the faster.
    block : int
        Iterations per compiled block (fewer Python round trips).
    progress : bool
        Show progress bars (stderr).
    diagnose_sites : sequence of str, optional
        Sites to compute R-hat/ESS for (default: every site).
    truth, prior_sd : mapping, optional
        True values and prior standard deviations for z-scores and shrinkage.
    rhat_max, ess_min : float
        Diagnostic thresholds.
    warn : bool
        Warn when the diagnostics fail.
    what : str
        Name used in messages.

    Returns
    -------
    NUTSResult
    """
    if num_chains < 1 or num_samples < 4 or num_warmup < 0:
        raise InputError("need num_chains >= 1, num_samples >= 4 and num_warmup >= 0", source=what, field="num_samples")
    if mass not in ("pooled", "laplace", "adapt", "identity"):
        raise InputError(f"mass must be pooled, laplace, adapt or identity; got {mass!r}", source=what, field="mass")
    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    flat = potential_of(model, model_args, model_kwargs, seed)
    D = int(np.size(flat.z0))
    rng = np.random.default_rng(seed + 1)
    # -- 1. starting point and preconditioner
    map_res, center = _centre(flat, init, map_starts, map_maxiter, map_inits, seed, progress, what)
    if map_res is not None:
        timings["map"] = map_res.seconds
    t0 = time.perf_counter()
    cov = _laplace_cov(flat, center, hessian_floor) if mass != "identity" and center is not None else np.eye(D)
    timings["laplace"] = time.perf_counter() - t0
    starts = _chain_starts(flat, center, cov, init, num_chains, init_spread, rng, what)
    # -- 2. the kernel, vectorised over chains (and split over devices)
    chain_method, n_use = _chain_layout(chain_method, num_chains, what)
    if step_pool not in ("chain", "min", "median"):
        raise InputError(f"step_pool must be chain, min or median; got {step_pool!r}", source=what, field="step_pool")
    if int(pool_stages) < 2:
        raise InputError(f"pool_stages must be >= 2, got {pool_stages}", source=what, field="pool_stages")
    run = _Sampler(flat, mass, target_accept_prob, max_tree_depth, num_chains, n_use, max(1, int(block)), progress, what,
                   chain_method, step_pool, int(pool_stages))
    wdiv, draws, fs = _warm_up_and_sample(run, cov, starts, num_warmup, num_samples, seed, timings)
    z, div, nsteps, acc = draws
    step_size = np.asarray(fs.adapt_state.step_size)
    imm = np.asarray(fs.adapt_state.inverse_mass_matrix)
    imm = imm[0] if imm.ndim == 3 else imm
    # -- 3. constrained values and deterministic sites of every draw
    samples = _constrained(flat, z, num_chains, num_samples)
    timings["total"] = time.perf_counter() - t_all
    sites = list(diagnose_sites) if diagnose_sites is not None else list(samples)
    missing = [s for s in sites if s not in samples]
    if missing:
        raise InputError(f"no site(s) {missing}; the model has {sorted(samples)}", source=what, field="diagnose_sites")
    diag = diagnose({k: samples[k] for k in sites}, diverging=div, warmup_diverging=wdiv,
                    seconds=timings["warmup"] + timings["sampling"], truth=truth, prior_sd=prior_sd,
                    rhat_max=rhat_max, ess_min=ess_min, num_steps=nsteps, max_tree_depth=max_tree_depth)
    if warn:
        diag.warn(what)
    return NUTSResult(
        samples=samples, z=z, diverging=div, num_steps=nsteps, accept_prob=acc, warmup_diverging=wdiv,
        step_size=step_size, inverse_mass_matrix=imm, map=map_res, timings=timings, diagnostics=diag,
        chain_method=chain_method, n_devices=n_use,
        settings=dict(num_chains=num_chains, num_warmup=num_warmup, num_samples=num_samples, mass=mass,
                      pool_stages=int(pool_stages), target_accept_prob=target_accept_prob, max_tree_depth=max_tree_depth, init=init if isinstance(init, str) else "array",
                      map_starts=map_starts, seed=seed),
    )


def _centre(flat: _Flat, init, map_starts, map_maxiter, map_inits, seed, progress, what):
    """The MAP result (or None) and the centre the chains start around (None for explicit starts)."""
    if isinstance(init, str) and init == "map":
        bar = _progress(progress, map_starts, f"{what}: MAP ({int(np.size(flat.z0))} parameters)")
        try:
            cb = (lambda k: bar[0].update(bar[1], completed=k)) if bar else None
            map_res = find_map(flat, starts=max(map_starts, len(map_inits)), seed=seed, maxiter=map_maxiter, inits=map_inits, progress=cb)
        finally:
            if bar:
                bar[0].stop()
        return map_res, map_res.z
    if isinstance(init, str) and init == "prior":
        return None, np.asarray(flat.z0)
    if isinstance(init, str):
        raise InputError(f"init must be 'map', 'prior' or an array; got {init!r}", source=what, field="init")
    return None, None


def _chain_starts(flat: _Flat, center, cov, init, num_chains: int, init_spread: float, rng, what: str) -> np.ndarray:
    """Flat unconstrained starts ``(num_chains, D)``: around the centre (``L eps``, ``L L^T = cov``) or as given."""
    import jax
    import jax.numpy as jnp

    D = cov.shape[0]
    L = np.linalg.cholesky(cov + 1e-12 * np.eye(D))
    if center is None:
        starts = np.asarray(init, float)
        if starts.ndim == 1:
            starts = starts[None] + 0.1 * rng.standard_normal((num_chains, D))
        if starts.shape != (num_chains, D):
            raise InputError(f"init must have shape ({D},) or ({num_chains}, {D}), got {starts.shape}", source=what, field="init")
        return starts
    starts = center[None] + init_spread * (rng.standard_normal((num_chains, D)) @ L.T)
    # a start far in the tail of the Laplace approximation (potential above the MAP's by much more than the
    # chi-square spread D/2 +- sqrt(D/2)), e.g. across a bifurcation, is pulled halfway back to the centre, repeatedly
    pot = jax.jit(jax.vmap(flat.potential))
    f0 = float(flat.potential(jnp.asarray(center)))
    limit = f0 + 0.5 * D + 4.0 * math.sqrt(0.5 * D)
    for _ in range(8):
        pv = np.asarray(pot(jnp.asarray(starts)))
        bad = ~(pv <= limit)
        if not bad.any():
            break
        starts[bad] = center + 0.5 * (starts[bad] - center)
    return starts


def _chain_layout(chain_method: str, num_chains: int, what: str) -> tuple[str, int]:
    """``"vectorized"`` or ``"parallel"`` (pmap over devices) and the number of devices used."""
    import jax

    n_dev = jax.local_device_count()
    if chain_method == "auto":  # same algorithm either way: the faster layout (sequential on CPU, see _compiled_block)
        chain_method = "sequential" if (n_dev > 1 and num_chains % n_dev == 0) else "vectorized"
    if chain_method not in ("vectorized", "parallel", "sequential"):
        raise InputError(f"chain_method must be auto, vectorized, parallel or sequential; got {chain_method!r}", source=what, field="chain_method")
    if chain_method in ("parallel", "sequential") and (n_dev < 2 or num_chains % n_dev):
        return "vectorized", 1
    if chain_method == "sequential" and jax.local_devices()[0].platform != "cpu":
        chain_method = "parallel"  # an accelerator runs vmapped chains in parallel: keep its lockstep (reported as such)
    return chain_method, (1 if chain_method == "vectorized" else n_dev)


@dataclass(frozen=True)
class _Sampler:
    """The settings one NUTS stage runs with (kernel, chain layout, blocks, progress)."""

    flat: _Flat
    mass: str
    target_accept_prob: float
    max_tree_depth: int
    num_chains: int
    n_use: int
    blk: int
    progress: bool
    what: str
    chain_method: str
    step_pool: str = "chain"
    pool_stages: int = 2

    @property
    def D(self) -> int:
        return int(np.size(self.flat.z0))


def _warm_up_and_sample(run: _Sampler, cov, starts, num_warmup: int, num_samples: int, seed: int, timings: dict):
    """Warm-up divergences, draws ``(z, diverging, num_steps, accept_prob)`` and the final state.

    ``mass="pooled"``: the warm-up runs in ``run.pool_stages`` stages.  Stage 1
    uses the Laplace mass; the second half of each stage's draws, pooled over
    chains, re-estimates the covariance (blended with the previous one, which
    counts as D draws) for the next stage; the last stage warms up the step size
    again and samples.
    """
    D = run.D
    n_st = run.pool_stages  # >= 2, checked by run_nuts
    if run.mass == "pooled" and num_warmup >= 10 * n_st:
        sizes = [num_warmup // n_st] * (n_st - 1)
        sizes.append(num_warmup - sum(sizes))
        divs, tc, tw, cur = [], 0.0, 0.0, starts
        for k, w in enumerate(sizes[:-1]):
            what = "Laplace mass" if k == 0 else "pooled mass"
            warm, _, _, cur, tt = _stage(run, cov, cur, w, 0, seed + 7 * k, f"warm-up {k + 1}/{n_st} ({what})")
            zs = warm[0][:, w // 2:].reshape(-1, D)
            n_pool = len(zs)
            emp = np.cov(zs, rowvar=False) if n_pool > 2 else cov
            cov = (n_pool * emp + D * cov) / (n_pool + D)
            divs.append(warm[1])
            tc, tw = tc + tt[0], tw + tt[1]
        warm, draws, fs, _, tt = _stage(run, cov, cur, sizes[-1], num_samples, seed + 7 * (n_st - 1),
                                        f"warm-up {n_st}/{n_st} (pooled mass)")
        timings["compile"] = tc + tt[0]
        timings["warmup"] = tw + tt[1]
        timings["sampling"] = tt[2]
        return np.concatenate(divs + [warm[1]], axis=1), draws, fs
    warm, draws, fs, _, tt = _stage(run, cov, starts, num_warmup, num_samples, seed, "")
    timings["compile"], timings["warmup"], timings["sampling"] = tt
    return warm[1], draws, fs


def _stage(run: _Sampler, cov, starts, n_warm: int, n_samp: int, seed: int, label: str):
    """One NUTS run (fixed or adapted dense mass ``cov``): compile, warm up, sample."""
    import jax
    import jax.numpy as jnp
    from numpyro.infer import NUTS

    kernel = NUTS(potential_fn=run.flat.potential, inverse_mass_matrix=jnp.asarray(cov), dense_mass=True,
                  adapt_mass_matrix=(run.mass == "adapt"), target_accept_prob=run.target_accept_prob,
                  max_tree_depth=run.max_tree_depth, step_size=0.5)
    keys = jax.random.split(jax.random.PRNGKey(seed), run.num_chains)
    state = kernel.init(keys, n_warm, init_params=jnp.asarray(starts), model_args=(), model_kwargs={})
    t0 = time.perf_counter()
    fns = {n: _compiled_block(run, kernel.sample, state, n) for n in {run.blk, n_warm % run.blk, n_samp % run.blk} - {0}}
    t_compile = time.perf_counter() - t0
    if run.n_use > 1:
        state = _split_devices(run, state)
    t0 = time.perf_counter()
    state, warm = _collect(run, fns, state, n_warm, label or "warm-up")
    if n_samp and run.step_pool != "chain":  # every chain samples with one step (see run_nuts)
        state = _pooled_step(state, run.step_pool)
    t_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    state, draws = _collect(run, fns, state, n_samp, "sampling")
    t_samp = time.perf_counter() - t0
    fs = state if run.n_use == 1 else jax.tree_util.tree_map(lambda a: a.reshape((run.num_chains,) + a.shape[2:]), state)
    return warm, draws, fs, np.asarray(fs.z), (t_compile, t_warm, t_samp)


def _pooled_step(state, how: str):
    """The state with every chain's adapted step replaced by their minimum or median (``run_nuts(step_pool=)``)."""
    import jax.numpy as jnp

    steps = jnp.asarray(state.adapt_state.step_size)
    pooled = jnp.min(steps) if how == "min" else jnp.median(steps)
    return state._replace(adapt_state=state.adapt_state._replace(step_size=jnp.full_like(steps, pooled)))


def _split_devices(run: _Sampler, st):
    import jax

    return jax.tree_util.tree_map(lambda a: a.reshape((run.n_use, run.num_chains // run.n_use) + a.shape[1:]), st)


def _compiled_block(run: _Sampler, sample, state, n: int):
    """``n`` NUTS iterations as one compiled scan (pmapped over devices when ``n_use > 1``).

    ``"sequential"``: a CPU device holding several chains runs them one after the other
    (``lax.map`` over its chains of the vmapped kernel with a batch of one), not in lockstep:
    on XLA's CPU backend two vmapped VEP gradients cost 2.6x one and a lockstep iteration
    lasts as long as its longest tree (tvb76 VEP: 241 s against 361 s).  Opt-in: on the demo's
    fit (600/600) the lockstep had no divergence on seeds 0-4, this layout 3 on seed 4
    (5 of 6 seeds clean); a separately initialised one-chain kernel was worse (4 of 6 seeds
    with 1-2).  Same draws up to round-off, parting chaotically after ~10 iterations."""
    import jax

    def run_block(s):  # ``sample`` is vmapped over chains by the vectorised init
        def body(s, _):
            s = sample(s, (), {})
            return s, (s.z, s.diverging, s.num_steps, s.accept_prob)

        return jax.lax.scan(body, s, None, length=n)

    def one_after_another(s):
        def one(s1):  # a batch of one chain
            s1, out = run_block(jax.tree_util.tree_map(lambda a: a[None], s1))
            return jax.tree_util.tree_map(lambda a: a[0], s1), jax.tree_util.tree_map(lambda a: a[:, 0], out)

        s, out = jax.lax.map(one, s)  # out: (chains on this device, n, ...)
        return s, jax.tree_util.tree_map(lambda a: jax.numpy.moveaxis(a, 0, 1), out)  # the vmapped layout (n, chains, ...)

    if run.n_use > 1:
        return jax.pmap(one_after_another if run.chain_method == "sequential" else run_block).lower(_split_devices(run, state)).compile()
    return jax.jit(run_block).lower(state).compile()


def _collect(run: _Sampler, fns: dict, state, n_iter: int, what_: str):
    """Run ``n_iter`` iterations block by block; the final state and ``(z, diverging, num_steps, accept_prob)`` per chain."""
    import jax

    outs = []
    bar = _progress(run.progress, n_iter, f"{run.what}: {what_} ({run.num_chains} chains, {run.chain_method})")
    done = 0
    try:
        while done < n_iter:
            n = min(run.blk, n_iter - done)
            state, out = fns[n](state)
            outs.append(jax.tree_util.tree_map(np.asarray, out))
            done += n
            if bar:
                bar[0].update(bar[1], completed=done)
    finally:
        if bar:
            bar[0].stop()
    C, D = run.num_chains, run.D
    if not outs:
        return state, (np.zeros((C, 0, D)), np.zeros((C, 0), bool), np.zeros((C, 0), int), np.zeros((C, 0)))
    res = []
    for i in range(4):
        if run.n_use > 1:  # pmap puts the device axis first: (dev, n, chains/dev, ...)
            a = np.concatenate([np.moveaxis(o[i], 0, 1) for o in outs], axis=0)
            a = a.reshape((a.shape[0], C) + a.shape[3:])
        else:
            a = np.concatenate([o[i] for o in outs], axis=0)
        res.append(np.moveaxis(a, 0, 1))  # (chains, n, ...)
    return state, tuple(res)


def _constrained(flat: _Flat, z: np.ndarray, num_chains: int, num_samples: int) -> dict[str, np.ndarray]:
    """Constrained values and deterministic sites of every draw, ``(chains, draws, ...)`` per site."""
    import jax
    import jax.numpy as jnp

    D = z.shape[-1]
    post = jax.jit(jax.vmap(lambda zz: flat.postprocess(flat.unravel(zz))))
    zz = z.reshape(-1, D)
    parts = [jax.tree_util.tree_map(np.asarray, post(jnp.asarray(zz[i:i + 1000]))) for i in range(0, len(zz), 1000)]
    return {k: np.concatenate([p[k] for p in parts]).reshape((num_chains, num_samples) + parts[0][k].shape[1:]) for k in parts[0]}
