"""Diagnostic: the geometry of the Bayesian VEP posterior of the benchmark patient (prints ONE JSON line).

Builds the patient of ``benchmarks/vep_fit.py`` (same generator and seed
search), finds the MAP as the fit does (data-driven starts, L-BFGS), and
reports, without sampling (about two minutes):

* the spectrum of the Hessian of the potential at the MAP (standard-normal
  ``*_star`` coordinates): ``hessian_eig`` (min, median, max) and its
  condition number;
* per region, the conditional profile of the potential along the region's
  own ``x0`` (others at the MAP), one and two conditional standard deviations
  ``s = (d^T H d)^{-1/2}`` either side: a Gaussian costs 0.5 and 2 nats; a
  *cliff* (``cost(+-2 s) > 10``) is where a small change of ``x0`` makes the
  region seize or start a partial excursion inside the window;
* per region, the *network* critical excitability at the MAP,
  ``x0c + (K/4) sum_j w_ij (-4/3 - x_j)`` (``x_j``: each neighbour's state at
  the end of the window), above which a region leaves rest in the network
  (the isolated value is ``x0c = -2.062`` at ``I1 = 3.1``), and the largest
  gain of the region over the contacts (how well the SEEG sees it).

``cliffs`` lists the regions with a cliff: label, true and MAP ``x0``, network
critical value, largest gain, and the cost at -2 s, -1 s, +1 s, +2 s.

How far the posterior is from the Gaussian that NUTS's mass matrix assumes
(``--laplace-draws N``, default 6, ~3 s each;
:func:`braintwin.infer.laplace_curvature`): ``N`` draws ``z`` from the Laplace
approximation ``N(MAP, H^-1)`` and, at each,

* ``excess``: the potential above the MAP's (a Gaussian gives ``D/2 +-
  sqrt(D/2)``, ``D`` parameters; ``laplace_excess_expected``);
* ``top_curvature``: the largest eigenvalue of the Hessian at ``z`` whitened by
  the Laplace covariance (1 for a Gaussian).  The leapfrog step must stay below
  about ``1/sqrt(top_curvature)``, so this is what makes NUTS take small steps
  and long trees;
* ``direction``: the regions whose ``x0`` dominate that eigenvector (signed
  weights), i.e. the parameters that limit the step size.
"""

from __future__ import annotations

import argparse
import json
import sys

from _common import add_vep_patient_args, vep_patient  # benchmarks/ is sys.path[0] when run as a script


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_vep_patient_args(ap)
    ap.add_argument("--from-truth", action="store_true", help="start the MAP search at the true parameters (diagnosis only)")
    ap.add_argument("--laplace-draws", type=int, default=6, help="Laplace draws at which the whitened Hessian is examined (0: none)")
    args = ap.parse_args(argv)

    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.flatten_util import ravel_pytree

    from braintwin.infer.laplace import hessian
    from braintwin.infer.nuts import find_map, laplace_curvature, potential_of, x64
    from braintwin.vep.fit import initial_guess
    from braintwin.vep.model import constrain, critical_x0, simulate_sources, unconstrain, vep_model

    p = vep_patient(args, args.seed)
    prob = p.problem()
    n = prob.n_regions
    with x64():
        fwd = prob.forward()
        flat = potential_of(vep_model, (prob, fwd))

        def flatten(star):
            return np.asarray(ravel_pytree({k: jnp.asarray(v, dtype=jnp.float64) for k, v in star.items()})[0])

        starts = [flatten(unconstrain(prob, p.truth))] if args.from_truth else [flatten(unconstrain(prob, g)) for g in initial_guess(prob)]
        m = find_map(flat, starts=len(starts), inits=starts, maxiter=3000)
        zm = m.z
        H = hessian(flat.potential, zm)  # exact with the JAX engine, differences of the gradient with the numba one
        H = 0.5 * (H + H.T)
        pot = jax.jit(flat.potential)
        f0 = float(pot(jnp.asarray(zm)))
        star = {k: np.asarray(v) for k, v in flat.unravel(jnp.asarray(zm)).items()}
        phys = constrain(prob, star)
        x = simulate_sources(prob, phys)
        off, o = {}, 0
        for k in sorted(star):
            off[k] = o
            o += int(np.size(star[k]))
        V = prob.basis
        rows = []
        for i in range(n):
            d = np.zeros(len(zm))
            d[off["x0_star"]:off["x0_star"] + n] = V[i]  # a unit change of the region's logit (before the prior scale)
            s = 1.0 / np.sqrt(max(float(d @ H @ d), 1e-12))
            cost = [float(pot(jnp.asarray(zm + a * s * d))) - f0 for a in (-2.0, -1.0, 1.0, 2.0)]
            rows.append(cost)
        away = []  # curvature away from the MAP, whitened by the Laplace covariance (what the mass matrix assumes)
        for c in (laplace_curvature(flat, zm, n_draws=args.laplace_draws, seed=args.seed) if args.laplace_draws > 0 else []):
            r = V @ c["direction"][off["x0_star"]:off["x0_star"] + n]  # the direction's x0 part, per region
            top = np.argsort(-np.abs(r))[:3]
            away.append({"excess": round(c["excess"], 1), "top_curvature": round(c["top_curvature"], 1),
                         "direction": {p.region_labels[j]: round(float(r[j] / np.abs(r).max()), 2) for j in top}})
    w = np.linalg.eigvalsh(H)
    W = prob.weights
    x0c_net = critical_x0(prob.I1) + (phys["K"] / 4.0) * (W @ (-4.0 / 3.0 - x[-1]))
    gmax = prob.gain.max(axis=0)
    cliffs = []
    for i, c in enumerate(rows):
        if max(c[0], c[3]) > 10.0:
            cliffs.append({"region": p.region_labels[i], "label": str(p.labels[i]), "x0_true": float(p.x0[i]),
                           "x0_map": round(float(phys["x0"][i]), 4), "x0c_network": round(float(x0c_net[i]), 4),
                           "gain_max": round(float(gmax[i]), 3), "cost_-2s_-1s_+1s_+2s": [round(v, 1) for v in c]})
    out = {
        "workload": "vep_geometry_tvb76", "graph": args.graph, "x0_healthy": args.x0_healthy, "x0_pz": args.x0_pz, "seed": p.seed, "ez": p.ez, "pz": p.pz, "K": p.K, "tau0": p.tau0,
        "map_potential": round(f0, 2), "map_from": "truth" if args.from_truth else "data",
        "hessian_eig": [float(w[0]), float(np.median(w)), float(w[-1])], "hessian_condition": float(w[-1] / max(w[w > 0].min(), 1e-300)),
        "n_negative_eig": int((w < 0).sum()),
        "healthy_x0_map_above_x0c": int(((phys["x0"] > critical_x0(prob.I1)) & (p.labels == "healthy")).sum()),
        "x0c_network_range": [round(float(x0c_net.min()), 3), round(float(x0c_net.max()), 3)],
        "n_cliffs": len(cliffs), "cliffs": cliffs,
        "laplace_excess_expected": [round(0.5 * len(zm), 1), round(float(np.sqrt(0.5 * len(zm))), 1)],
        "laplace_draws": away,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
