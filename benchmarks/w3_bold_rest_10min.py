"""W3: 10 minutes of resting-state BOLD from the command line, with FC/FCD features and figures.

Runs, as a user would (subprocesses of the `braintwin` CLI):

    braintwin simulate -c tvb76 --duration 600000 --dt 0.01 --G 0.35 --noise 0.01,0.02 \
        --observe bold:tr=720 --monitor tavg:10 -o rest.h5
    braintwin features rest.h5 --monitor bold --set fc,fcd_stats --skip-ms 60000 -o rest_features.h5
    braintwin plot rest.h5 rest_fc.png  --monitor bold --kind fc  --skip-ms 60000
    braintwin plot rest.h5 rest_fcd.png --monitor bold --kind fcd --skip-ms 60000 --window-ms 43200

BOLD is integrated alongside the neural simulation (streamed, never storing every
step).  Prints one JSON line; outputs go to --out (default bench_out/).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import h5py

from _common import emit

CLI = [sys.executable, "-m", "braintwin"]


def run(args):
    t0 = time.perf_counter()
    r = subprocess.run(CLI + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit(f"failed: braintwin {' '.join(args)}")
    return time.perf_counter() - t0


def main():
    out = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else Path("bench_out")
    out.mkdir(parents=True, exist_ok=True)
    minutes = 10.0
    h5 = out / "rest.h5"
    t_sim = run(["simulate", "-c", "tvb76", "--duration", str(minutes * 60000), "--dt", "0.01", "--G", "0.35",
                 "--noise", "0.01,0.02", "--observe", "bold:tr=720", "--monitor", "tavg:10", "-o", str(h5), "-q"])
    t_feat = run(["features", str(h5), "--monitor", "bold", "--set", "fc,fcd_stats", "--skip-ms", "60000", "-o", str(out / "rest_features.h5")])
    t_fc = run(["plot", str(h5), str(out / "rest_fc.png"), "--monitor", "bold", "--kind", "fc", "--skip-ms", "60000"])
    t_fcd = run(["plot", str(h5), str(out / "rest_fcd.png"), "--monitor", "bold", "--kind", "fcd", "--skip-ms", "60000", "--window-ms", "43200"])
    with h5py.File(h5) as f:
        n_tr = f["monitors/bold/data"].shape[0]
    with h5py.File(out / "rest_features.h5") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["names"][()]]
        vals = f["values"][()]
    fcd_var = float(vals[names.index("fcd_stats[var]")]) if "fcd_stats[var]" in names else None
    emit({
        "workload": "w3_bold_rest_10min",
        "simulated_minutes": minutes,
        "n_steps": int(minutes * 60000 / 0.01),
        "seconds": round(t_sim + t_feat + t_fc + t_fcd, 2),
        "simulate_seconds_incl_compile": round(t_sim, 2),
        "features_seconds": round(t_feat, 2),
        "plot_seconds": round(t_fc + t_fcd, 2),
        "compile_seconds": None,
        "n_bold_samples": n_tr,
        "n_features": len(names),
        "fcd_var": fcd_var,
        "figures": [str(out / "rest_fc.png"), str(out / "rest_fcd.png")],
    })


if __name__ == "__main__":
    sys.exit(main())
