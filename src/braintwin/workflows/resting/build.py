"""The resting-state twin from a configuration file, and the synthetic person of the demo.

``braintwin twin build rest.toml`` with a ``bold`` key lands here
(:func:`build_rest_twin`); see ``examples/rest_twin.toml`` for every key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ...connectome import as_connectome
from ...errors import InputError
from ...observe import read_bold
from ...infer.sbi import Prior
from .fit import RestFit, default_prior, fit_rest
from .simulator import RestSimulator
from .twin import twin_from_rest

__all__ = ["REST_KEYS", "build_rest_twin", "synthetic_person", "read_gradient"]

#: Keys of a resting-state ``twin build`` configuration.
REST_KEYS = {"workflow", "bold", "tr_s", "connectome", "mapping", "subject_id", "out", "n_sims", "n_ppc", "n_draws",
             "dt", "skip_ms", "gradient", "cache_dir", "seed", "metadata", "report", "max_times", "G_max", "prior",
             "refine_rounds", "n_per_round", "segments"}


def synthetic_person(connectome, *, G: float = 0.15, eta: float = -4.8, nsig: float = 0.01, n_times: int = 200,
                     tr_ms: float = 720.0, dt: float = 0.05, seed: int = 12345, drift: float = 0.0) -> np.ndarray:
    """BOLD ``(n_times, n_regions)`` of a synthetic person: the resting simulator at known parameters.

    ``drift`` adds a linear drift of that many standard deviations per region and
    unequal region scales, as in real recordings (the fit removes both).

    Example
    -------
    >>> y = synthetic_person(bt.Connectome.builtin("tvb76"), n_times=100)   # doctest: +SKIP
    """
    conn = as_connectome(connectome).normalized("max").with_zero_diagonal()
    sim = RestSimulator(conn, tr_ms=tr_ms, n_times=n_times, dt=dt)
    x, status, bold = sim.simulate({"G": np.array([G]), "eta": np.array([eta]), "nsig": np.array([nsig])},
                                   np.array([seed]), return_timeseries=True)
    if status[0] != 0:
        raise InputError(f"the synthetic person's simulation diverged (G={G}, eta={eta}, nsig={nsig})", field="G")
    y = np.asarray(bold[0], np.float64)
    if drift:
        rng = np.random.default_rng(seed)
        y = y * rng.uniform(0.5, 2.0, y.shape[1]) + drift * y.std(0) * np.linspace(0, 1, len(y))[:, None]
    return y


def read_gradient(path, labels) -> np.ndarray:
    """A regional map (TSV/CSV of label and value) in the connectome's order; every unknown label listed."""
    from ...connectome.parcellation import match_labels

    rows = [ln.replace(",", "\t").split("\t") for ln in Path(path).read_text().splitlines() if ln.strip()]
    try:
        table = {r[0].strip(): float(r[1]) for r in rows if len(r) >= 2 and not r[0].startswith("#")
                 and r[1].strip().lower() not in ("value",)}
    except ValueError as e:
        raise InputError(f"unreadable value: {e}", source=str(path), field="gradient") from None
    idx = match_labels(list(table), list(labels), source=str(path), field="gradient")
    return np.asarray(list(table.values()), float)[idx]


def _prior(cfg: Mapping[str, Any], gradient: bool) -> Prior:
    """``[prior]`` table (names as :class:`~braintwin.infer.sbi.Prior`), else the default with ``G_max``."""
    if "prior" in cfg:
        spec = cfg["prior"]
        if not isinstance(spec, Mapping):
            raise InputError("expected a table of parameter priors", field="prior")
        return Prior(spec) if "eta_gradient" in spec else Prior(spec, model="MontbrioPazoRoxin")
    return default_prior(gradient=gradient, G_max=float(cfg.get("G_max", 0.25)))


def build_rest_twin(cfg: Mapping[str, Any], base: Path = Path("."), *, progress: bool = True, log=print):
    """Fit and build the resting-state twin described by a configuration mapping (a ``rest.toml``).

    Returns ``(twin, fit)``.  Paths are relative to ``base`` (the file's folder).
    """
    def path(k):
        p = Path(str(cfg[k]))
        return str(p if p.is_absolute() else (base / p).resolve())

    for key in ("bold", "connectome"):
        if key not in cfg:
            raise InputError(f"missing required key {key!r}", field=key)
    src = str(cfg["connectome"])
    conn = as_connectome(src if src.startswith("tvb") and not (base / src).exists() else path("connectome"))
    bold = read_bold(path("bold"), tr_s=cfg.get("tr_s"), labels=list(conn.labels),
                     mapping=path("mapping") if "mapping" in cfg else None)
    # the files are checked before anything is printed: a bad file gives one line
    log(f"connectome: {conn.n_regions} regions")
    log(f"BOLD: {bold.data.shape[0]} samples x {bold.data.shape[1]} regions, TR {bold.tr_s:g} s (labels matched)")
    gradient = read_gradient(path("gradient"), conn.labels) if "gradient" in cfg else None
    cache = path("cache_dir") if "cache_dir" in cfg else str(base / ".braintwin-cache")
    fit: RestFit = fit_rest(bold, conn, prior=_prior(cfg, gradient is not None), n_sims=int(cfg.get("n_sims", 200)), n_ppc=int(cfg.get("n_ppc", 20)),
                            n_draws=int(cfg.get("n_draws", 1000)), dt=float(cfg.get("dt", 0.05)),
                            skip_ms=float(cfg.get("skip_ms", 20_000.0)), gradient=gradient, cache_dir=cache,
                            seed=int(cfg.get("seed", 0)), max_times=cfg.get("max_times"),
                            refine_rounds=cfg.get("refine_rounds", 0), n_per_round=cfg.get("n_per_round"),
                            segments=cfg.get("segments", 1), progress=progress, log=log)
    twin = twin_from_rest(fit, subject_id=cfg.get("subject_id"), metadata=cfg.get("metadata"),
                          config=dict(cfg), seeds={"fit": int(cfg.get("seed", 0))})
    twin.record_input(path("bold"))
    return twin, fit
