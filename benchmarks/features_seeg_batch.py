"""Benchmark: the VEP SBI feature step on a batch of 10,000 simulated SEEG recordings.

Workload: 10,000 recordings x 100 contacts x 400 samples (100 Hz, 4 s) of
simulated SEEG log power, made (untimed) with :func:`braintwin.features.vep_observation`
from random 2D-Epileptor-like sources (84 regions: a fast sigmoid rise from the
interictal to the ictal branch at a random onset in a random subset of regions,
plus noise) and a random positive gain; a pool of 500 forward-model runs is
varied per recording (shuffled contacts, amplitude, offset, noise) to make the
10,000 quickly. Timed: ``compute(data, "vep_sbi")``,
the feature set of amortised VEP inference (per contact: moments, envelope
max/area/onset/time above threshold, Welch peak frequency, relative band
powers; plus the number of recruited contacts).

Prints one JSON line. Run: ``PYTHONPATH=src python benchmarks/features_seeg_batch.py``
(``--n-recordings`` to change the batch, ``--repeats`` the number of warm runs).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import braintwin.features as F
from _common import emit  # benchmarks/ is sys.path[0] when run as a script


def make_pool(n_pool: int, n_contacts: int, n_samples: int, n_regions: int, fs_hz: float, rng) -> np.ndarray:
    """``n_pool`` distinct simulated SEEG log-power recordings, float32 (n_pool, n_samples, n_contacts)."""
    gain = rng.gamma(1.0, 1.0, size=(n_contacts, n_regions)) * (rng.random((n_contacts, n_regions)) < 0.3)
    gain[np.arange(n_contacts), rng.integers(0, n_regions, n_contacts)] += 1.0  # every contact sees a region
    t = np.arange(n_samples) / fs_hz
    out = np.empty((n_pool, n_samples, n_contacts), dtype=np.float32)
    chunk = 50
    for s in range(0, n_pool, chunk):
        n = min(chunk, n_pool - s)
        recruited = rng.random((n, 1, n_regions)) < rng.uniform(0.05, 0.4, (n, 1, 1))
        onset = rng.uniform(0.5, 3.5, (n, 1, n_regions))
        tau = rng.uniform(0.05, 0.3, (n, 1, n_regions))
        rise = 0.5 * (1.0 + np.tanh((t[None, :, None] - onset) / (2.0 * tau)))  # logistic sigmoid
        x = -1.6 + 2.0 * recruited * rise + 0.05 * rng.standard_normal((n, n_samples, n_regions))
        out[s : s + n] = F.vep_observation(x, gain, amp=1.0, offset=0.0)
    return out


def make_data(n_rec: int, n_contacts: int, n_samples: int, n_regions: int, fs_hz: float, seed: int = 0,
              n_pool: int = 500) -> np.ndarray:
    """Synthetic VEP SEEG log power, float32, shape (n_rec, n_samples, n_contacts).

    ``n_pool`` recordings come from the forward model; every one of the
    ``n_rec`` recordings is a pool member with its contacts shuffled and its own
    per-contact amplitude and offset, plus measurement noise from a shared bank
    at a random shift, so that all recordings differ (cheap to make: the
    benchmark times the features, not the data).
    """
    rng = np.random.default_rng(seed)
    pool = make_pool(min(n_pool, n_rec), n_contacts, n_samples, n_regions, fs_hz, rng)
    bank = (0.05 * rng.standard_normal((2 * n_samples, n_contacts))).astype(np.float32)
    out = np.empty((n_rec, n_samples, n_contacts), dtype=np.float32)
    ti = np.arange(n_samples)
    chunk = 100
    for s in range(0, n_rec, chunk):
        n = min(chunk, n_rec - s)
        idx = rng.integers(0, pool.shape[0], n)
        perm = np.argsort(rng.random((n, n_contacts)), axis=1)
        amp = rng.uniform(0.7, 1.3, (n, 1, n_contacts)).astype(np.float32)
        off = rng.normal(0.0, 0.5, (n, 1, n_contacts)).astype(np.float32)
        shift = rng.integers(0, n_samples, n)
        y = pool[idx[:, None, None], ti[None, :, None], perm[:, None, :]]
        y *= amp
        y += off
        y += bank[shift[:, None] + ti[None, :]]
        out[s : s + n] = y
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-recordings", type=int, default=10_000)
    ap.add_argument("--n-contacts", type=int, default=100)
    ap.add_argument("--n-samples", type=int, default=400)
    ap.add_argument("--n-regions", type=int, default=84)
    ap.add_argument("--fs-hz", type=float, default=100.0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    t0 = time.perf_counter()
    data = make_data(args.n_recordings, args.n_contacts, args.n_samples, args.n_regions, args.fs_hz)
    gen_s = time.perf_counter() - t0

    def run():
        t = time.perf_counter()
        fv = F.compute(data, "vep_sbi", fs_hz=args.fs_hz)
        return time.perf_counter() - t, fv

    first, fv = run()
    warm = [run()[0] for _ in range(max(3, args.repeats))]
    sec = statistics.median(warm)
    finite = float(fv.finite.mean())
    n_rec_mean = float(np.mean(fv["envelope[n_recruited]"]))
    emit(
        {
            "workload": "features_seeg_batch",
            "feature_set": "vep_sbi",
            "seconds": round(sec, 4),
            "compile_seconds": round(max(0.0, first - sec), 4),
            "first_call_seconds": round(first, 4),
            "warm_runs": [round(w, 4) for w in warm],
            "n_recordings": args.n_recordings,
            "n_contacts": args.n_contacts,
            "n_samples": args.n_samples,
            "fs_hz": args.fs_hz,
            "n_features": fv.n_features,
            "recordings_per_second": round(args.n_recordings / sec, 1),
            "finite_fraction": finite,
            "mean_recruited_contacts": round(n_rec_mean, 2),
            "data_generation_seconds": round(gen_s, 2),
            "target_seconds": 60,
        }
    )


if __name__ == "__main__":
    main()
