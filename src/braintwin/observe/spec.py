"""``get_observer``: observation monitors from short text specs (the CLI's ``--observe``)."""

from __future__ import annotations

from typing import Any, Callable

from ..errors import InputError
from ..simulate.monitors import Monitor

__all__ = ["get_observer", "OBSERVERS"]


def _float(v: str, key: str, spec: str) -> float:
    try:
        return float(v)
    except ValueError:
        raise InputError(f"{key}={v!r} is not a number", source=spec, field=key) from None


def _int_or_none(v: str, key: str, spec: str):
    if v.lower() in ("none", ""):
        return None
    try:
        return int(v)
    except ValueError:
        raise InputError(f"{key}={v!r} is not an integer", source=spec, field=key) from None


def _str(v: str, key: str, spec: str) -> str:
    return v


def _none_or_str(v: str, key: str, spec: str):
    return None if v.lower() in ("none", "") else v


# kind -> (main option for a bare value, {option: parser})
_COMMON = {"period": _float, "output": _str}
_SENSOR = {**_COMMON, "noise": _float, "noise_std": _float, "seed": _int_or_none, "leadfield": _str, "lead_field": _str}
OBSERVERS: dict[str, tuple[str, dict[str, Callable]]] = {
    "bold": ("tr", {**_COMMON, "tr": _float, "constants": _str, "initial": _str, "equation": _str, "coefficients": _str}),
    "eeg": ("period", {**_SENSOR, "reference": _none_or_str}),
    "meg": ("period", dict(_SENSOR)),
    "seeg": ("period", {**_SENSOR, "montage": _str, "contacts": _str, "method": _str, "min_distance": _float}),
}


def _parse(spec: str) -> tuple[str, dict[str, Any]]:
    kind, _, rest = str(spec).strip().partition(":")
    kind = kind.strip().lower()
    if kind not in OBSERVERS:
        raise InputError(f"unknown observer {kind!r}; choose one of {', '.join(OBSERVERS)}", source=str(spec), field="kind")
    main, opts = OBSERVERS[kind]
    out: dict[str, Any] = {}
    for item in [s.strip() for s in rest.split(",")] if rest.strip() else []:
        if not item:
            continue
        key, eq, val = item.partition("=")
        key, val = key.strip().lower(), val.strip()
        if not eq:  # a bare value: the main option ("bold:720")
            key, val = main, item
        if key not in opts:
            raise InputError(f"unknown option {key!r} for {kind}; options: {', '.join(sorted(opts))}", source=str(spec), field=key)
        value = opts[key](val, key, str(spec))
        key = {"noise": "noise_std", "leadfield": "lead_field"}.get(key, key)
        if key in out:
            raise InputError(f"option {key!r} given twice", source=str(spec), field=key)
        out[key] = value
    return kind, out


def get_observer(spec: str | Monitor, connectome=None) -> Monitor:
    """An observation monitor from a spec such as ``"bold:tr=720,constants=friston2003"``.

    Specs are ``KIND[:OPTION=VALUE,...]``; a bare value sets the main option
    (``"bold:720"`` = ``tr=720``, ``"eeg:2"`` = ``period=2``).

    ===== =====================================================================
    kind  options
    ===== =====================================================================
    bold  tr (ms, 720), constants (tvb | friston2003), output, period (ms, 1),
          initial (rest | steady), equation (nonlinear | linear), coefficients
    eeg   period (ms, 1), output, reference (average | none | LABEL),
          noise (std), seed, leadfield (file)
    meg   period, output, noise, seed, leadfield
    seeg  period, output, montage (monopolar | bipolar), contacts (seeg_588 |
          file), method (vertices | centres), min_distance (mm), noise, seed,
          leadfield
    ===== =====================================================================

    With a ``connectome``, the gain of a sensor monitor is resolved now (so a
    mismatch between the lead field and the regions is reported before the
    simulation runs).

    Raises
    ------
    InputError
        For an unknown kind or option (named as the error's field) or a bad value.
    """
    if isinstance(spec, Monitor):
        return spec
    from .bold import Bold
    from .leadfield import EEG, MEG
    from .seeg import SEEG

    kind, opts = _parse(spec)
    cls = {"bold": Bold, "eeg": EEG, "meg": MEG, "seeg": SEEG}[kind]
    if kind == "seeg" and connectome is not None and opts.get("method") == "centres":
        opts["connectome"] = connectome
    try:
        mon = cls(**opts)
    except InputError as e:
        raise InputError(e.problem, source=f"{spec} ({e.source})" if e.source else str(spec), field=e.field) from None
    if connectome is not None and hasattr(mon, "prepare"):
        labels = getattr(connectome, "labels", None)
        n = getattr(connectome, "n_regions", None)
        try:
            mon.prepare(labels, n if labels is None else None)
        except InputError as e:
            raise InputError(e.problem, source=f"{spec} ({e.source})" if e.source else str(spec), field=e.field) from None
    return mon


def _register_with_engine() -> None:
    """Make ``bt.simulate(..., monitors=["bold:tr=720"])`` accept observer specs (the CLI's spelling)."""
    from ..simulate.monitors import register_monitor_kind

    for kind in OBSERVERS:
        register_monitor_kind(kind, get_observer)


_register_with_engine()
