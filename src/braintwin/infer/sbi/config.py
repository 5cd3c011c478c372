"""Campaign configuration files (TOML): simulator, features, prior and campaign settings.

One file describes a whole campaign, and later SBI steps read the same file::

    [simulator]              # a NetworkSimulator
    connectome = "tvb76"     # built-in name or file; normalize = "max", zero_diagonal = true
    model = "MontbrioPazoRoxin"
    observe = "bold:tr=720"  # or monitor = "tavg:1.0" (with output = "r")
    duration = 60000.0       # ms; skip_ms, dt, speed, method, noise, noise_weights, engine
    [simulator.params]       # fixed model parameter values
    [simulator.coupling]     # name = "Linear", a = 0.5

    [features]
    sets = ["fc", "fcd_stats"]
    [features.options]       # options of the sets (braintwin.features.describe);
                             # sc = "connectome": the simulator's weights (fc_stats, amplitude_stats)

    [prior.params]           # see braintwin.infer.sbi.priors.read_prior
    G = {dist = "uniform", low = 0.0, high = 1.0}

    [campaign]               # n, out, chunk_size, seed, keep_timeseries, workers, scheduler

Example: ``examples/sbi_rest.toml``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...errors import InputError
from .priors import Prior
from .simulators import NetworkSimulator

__all__ = ["load_campaign_config", "simulator_from_dict", "CAMPAIGN_KEYS"]

_TOP = {"simulator", "features", "prior", "campaign", "npe"}
_SIM_KEYS = {"connectome", "normalize", "zero_diagonal", "model", "params", "coupling", "observe", "monitor", "output",
             "duration", "skip_ms", "dt", "speed", "method", "noise", "noise_weights", "engine", "n_threads",
             "initial"}
#: Keys of the ``[campaign]`` table, with their defaults.
CAMPAIGN_KEYS = {"n": None, "out": "campaign.h5", "chunk_size": 64, "seed": 0, "keep_timeseries": False,
                 "workers": None, "scheduler": None}


def _table(d: Mapping, key: str, source: str, allowed=None) -> dict:
    t = d.get(key, {})
    if not isinstance(t, Mapping):
        raise InputError("expected a table", source=source, field=key)
    if allowed is not None:
        unknown = sorted(set(t) - set(allowed))
        if unknown:
            raise InputError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
                             source=source, field=f"{key}.{unknown[0]}")
    return dict(t)


def simulator_from_dict(sim: Mapping[str, Any], features: Mapping[str, Any], *, source: str = "config") -> NetworkSimulator:
    """A :class:`NetworkSimulator` from the ``[simulator]`` and ``[features]`` tables."""
    from ...connectome import as_connectome
    from ...models import get_coupling, get_model

    sim = dict(sim)
    if "connectome" not in sim:
        raise InputError("no connectome given", source=source, field="simulator.connectome")
    if "observe" in sim and "monitor" in sim:
        raise InputError("give observe or monitor, not both", source=source, field="simulator.observe")
    conn = as_connectome(sim.pop("connectome"), source=source, field="simulator.connectome")
    norm = sim.pop("normalize", "max")
    conn = conn.normalized(None if str(norm).lower() == "none" else norm)
    if sim.pop("zero_diagonal", False):
        conn = conn.with_zero_diagonal()
    model = get_model(sim.pop("model", "MontbrioPazoRoxin"), **dict(sim.pop("params", {})))
    cpl = sim.pop("coupling", None)
    cpl = {"name": cpl} if isinstance(cpl, str) else dict(cpl or {})
    coupling = get_coupling(cpl.pop("name", None), model=model, **cpl)
    sets = features.get("sets")
    if not sets or not isinstance(sets, list):
        raise InputError("give the feature sets as a list, e.g. sets = [\"fc\", \"fcd_stats\"]", source=source,
                         field="features.sets")
    monitor = sim.pop("observe", None) or sim.pop("monitor", "tavg:1.0")
    options = dict(features.get("options", {}))
    if isinstance(options.get("sc"), str):  # a matrix cannot be written in TOML: name the connectome's own
        if options["sc"] != "connectome":
            raise InputError(f"sc must be a matrix or \"connectome\", got {options['sc']!r}", source=source,
                             field="features.options.sc")
        options["sc"] = conn.weights
    return NetworkSimulator(conn, model, sets, monitor=monitor, coupling=coupling, feature_options=options, **sim)


def load_campaign_config(path, **overrides) -> tuple[NetworkSimulator, Prior, dict]:
    """Read a campaign TOML file: ``(simulator, prior, campaign settings)``.

    ``overrides`` (``n``, ``out``, ``chunk_size``, ``seed``, ``workers``,
    ``scheduler``, ``keep_timeseries``) replace the ``[campaign]`` values when not
    None (the command line's flags).  Every problem is an :class:`InputError`
    naming the file and the key.
    """
    path = Path(path)
    src = str(path)
    try:
        d = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise InputError("file not found", source=src) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file ({exc})", source=src) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML ({exc})", source=src) from None
    unknown = sorted(set(d) - _TOP)
    if unknown:
        raise InputError(f"unknown table(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_TOP))}", source=src,
                         field=unknown[0])
    camp = {**CAMPAIGN_KEYS, **_table(d, "campaign", src, CAMPAIGN_KEYS)}
    camp.update({k: v for k, v in overrides.items() if v is not None})
    try:
        simulator = simulator_from_dict(_table(d, "simulator", src, _SIM_KEYS),
                                        _table(d, "features", src, {"sets", "options"}), source=src)
        pd = _table(d, "prior", src)
        per_region = any(isinstance(v, Mapping) and v.get("per_region") for v in dict(pd.get("params", {})).values())
        if per_region and "n_regions" not in pd and "region_labels" not in pd:
            pd["region_labels"] = list(simulator.connectome.labels)  # columns named x0[rAMYG], ...
        prior = Prior.from_dict(pd, model=simulator.model)
        simulator.check_prior(prior)
    except InputError as exc:
        raise InputError(exc.problem, source=src if exc.source in (None, src) else f"{src} ({exc.source})",
                         field=exc.field) from None
    if camp["n"] is None:
        raise InputError("the number of simulations is missing: [campaign] n = ... or --n", source=src, field="campaign.n")
    return simulator, prior, camp
