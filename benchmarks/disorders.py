"""Benchmark: synthetic recovery and what-if direction of the disorder workflows (ONE JSON line each).

Workload: each workflow's demo (``bt.ms.run``, ``bt.ageing.run``,
``bt.alzheimers.run``): tvb76, a synthetic person with known parameters, a
campaign of ``--n-sims`` simulations, NPE, what-ifs on posterior draws.

Targets (issue 15): the changed parameter (``speed``, ``ih``, ``ei_gain``) lies in
its 90% interval; the what-if moves the way the literature reports (MS: slower
conduction lowers the alpha peak; ageing: interhemispheric decline lowers
interhemispheric FC; Alzheimer's: more burden raises theta/alpha).

JSON keys: ``workflow``, ``seconds``, ``truth_in_90`` (per parameter),
``changed_parameter_in_90``, ``whatif_direction_ok``, ``whatif`` (primary value
and interval).

Usage: ``python benchmarks/disorders.py [--n-sims 300] [--workflow ms]``
"""

from __future__ import annotations

import argparse
import tempfile
import time

from _common import emit

#: workflow -> (changed parameter, what-if key, metric, sign it must have)
CHECKS = {
    "ms": ("speed", "lesion growth / alpha", "alpha_cog_shift_hz", -1),
    "ageing": ("ih", "10 more years / fcd_scfc", "inter_fc_change", -1),
    "alzheimers": ("ei_gain", "higher burden / slowing", "theta_alpha_factor", +1),
}


def one(name: str, n_sims: int) -> dict:
    import braintwin as bt

    param, key, metric, sign = CHECKS[name]
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        s = getattr(bt, name).run({"n_sims": n_sims}, out, progress=False)
        seconds = time.perf_counter() - t0
    m = s["whatif"][key]
    value = m[metric] - (1.0 if metric == "theta_alpha_factor" else 0.0)  # a factor moves away from 1
    return {"workload": "disorders", "workflow": name, "n_sims": n_sims, "seconds": round(seconds, 1),
            "truth_in_90": s["truth_in_interval"], "changed_parameter_in_90": s["truth_in_interval"][param],
            "whatif_direction_ok": bool(sign * value > 0), "whatif": {key: {metric: m[metric]}}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-sims", type=int, default=300)
    ap.add_argument("--workflow", choices=sorted(CHECKS), action="append")
    args = ap.parse_args()
    for name in args.workflow or list(CHECKS):
        emit(one(name, args.n_sims))


if __name__ == "__main__":
    main()
