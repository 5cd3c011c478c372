"""Shared set-up of the benchmark workloads (tvb76, weights / max, zero diagonal, 3 mm/ms)."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time

import numpy as np

SPEED = 3.0  # mm/ms


def tvb76():
    import braintwin as bt

    return bt.Connectome.builtin("tvb76").normalized("max").with_zero_diagonal()


def timed(fn, repeats: int = 5):
    """(first call seconds, median of warm calls, last result)."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        warm.append(time.perf_counter() - t0)
    return first, statistics.median(warm), out


def machine() -> dict:
    """CPUs, Python, architecture, the load average (1, 5, 15 min) and the CPU seconds used so far.

    On a shared machine ``seconds`` (wall) grows with other jobs' load; ``cpu_seconds``
    (user + system, this process and its children) does not, and ``cpu_seconds / cpus``
    is what the work would take on an idle machine if it used every core.
    """
    import resource

    used = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.machine(),
            "load_average": [round(v, 2) for v in os.getloadavg()], "cpu_seconds": round(used, 1)}


def emit(record: dict) -> None:
    """Print one JSON line; every line has ``workload``, ``seconds`` and ``compile_seconds``
    (``null`` where compilation cannot be separated from the work, e.g. a whole pipeline)."""
    if "workload" not in record:
        raise ValueError("a benchmark line needs a 'workload'")
    record.setdefault("compile_seconds", None)
    record.setdefault("machine", machine())
    print(json.dumps(record), flush=True)


def want_peer(argv=None) -> bool:
    argv = sys.argv[1:] if argv is None else argv
    if "--no-peer" in argv:
        return False
    try:
        import tvb.simulator.lab  # noqa: F401
    except Exception:
        return False
    return True


def tvb_simulator(model, coupling, nsig, dt, length_ms, tavg_period=1.0, seed=42):
    """TVB's simulator on the same workload (tvb76, weights / max, zero diagonal, 3 mm/ms)."""
    import warnings

    warnings.filterwarnings("ignore")
    from tvb.simulator.lab import connectivity, integrators, monitors, noise, simulator

    conn = connectivity.Connectivity.from_file("connectivity_76.zip")
    conn.weights = conn.weights / conn.weights.max()
    np.fill_diagonal(conn.weights, 0.0)
    conn.speed = np.array([SPEED])
    integ = integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=np.asarray(nsig, float), noise_seed=seed))
    sim = simulator.Simulator(
        model=model, connectivity=conn, coupling=coupling, integrator=integ,
        monitors=(monitors.TemporalAverage(period=tavg_period),), simulation_length=length_ms,
    )
    sim.configure()
    return sim


# -- the synthetic VEP patient of vep_fit.py and vep_geometry.py


def add_vep_patient_args(ap) -> None:
    """Command-line options that define the benchmark's synthetic VEP patient."""
    ap.add_argument("--seed", type=int, default=0, help="first seed of the search for a propagating patient")
    ap.add_argument("--graph", choices=("strong", "full"), default="strong",
                    help="'strong': tvb76's strong tracts only (CoCoMac category 3; default); 'full': every tract, weights / max")
    ap.add_argument("--x0-healthy", type=float, default=-3.5, help="x0 of the healthy regions (issue: -3.5)")
    ap.add_argument("--x0-pz", type=float, default=-2.2, help="x0 of the PZ candidates (issue: -2.06; see vep_fit.py)")
    ap.add_argument("--n-times", type=int, default=150)
    ap.add_argument("--n-contacts", type=int, default=100)


def vep_patient(args, seed: int, **kwargs):
    """The first synthetic patient from ``seed`` on whose seizure >= 3 regions are recruited.

    tvb76 (weights / max, zero diagonal; ``--graph strong`` keeps the weights equal to
    the maximum), 2 random connected EZ regions at x0 = -1.6, 6 PZ candidates at
    ``--x0-pz``, the rest at ``--x0-healthy``; ``tau0`` and ``K`` searched on a grid by
    simulation; ~100 SEEG contacts of ``seeg_588``; 150 samples of dt = 0.25.
    """
    import warnings

    import braintwin.vep as vep
    from braintwin.errors import InputError

    conn = tvb76()
    if args.graph == "strong":
        conn = conn.thresholded(1.0)
    for k in range(1000):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return vep.synthetic_patient(
                    conn, normalize=None, x0_healthy=args.x0_healthy, x0_pz=args.x0_pz, n_pz=6, dt=0.25,
                    n_times=args.n_times, n_contacts=args.n_contacts, K=tuple(np.geomspace(0.01, 3.0, 20)),
                    tau0=(10.0, 15.0, 20.0, 30.0), min_pz=3, seed=seed + k, **kwargs,
                )
        except InputError:
            continue
    raise RuntimeError(f"no patient with >= 3 recruited regions for seeds {seed}..{seed + 999}")


def pooled_label_accuracy(accs) -> dict:
    """EZ/PZ precision and recall pooled over patients, from ``LabelTable.compare`` dicts."""
    tp = {k: sum(a[f"{k}_tp"] for a in accs) for k in ("ez", "pz")}
    pred = {k: sum(a[f"{k}_predicted"] for a in accs) for k in ("ez", "pz")}
    true = {k: sum(a[f"{k}_true"] for a in accs) for k in ("ez", "pz")}
    return {"ez_precision": round(tp["ez"] / pred["ez"], 3) if pred["ez"] else None,
            "ez_recall": round(tp["ez"] / true["ez"], 3) if true["ez"] else None,
            "pz_precision": round(tp["pz"] / pred["pz"], 3) if pred["pz"] else None,
            "pz_recall": round(tp["pz"] / true["pz"], 3) if true["pz"] else None}
