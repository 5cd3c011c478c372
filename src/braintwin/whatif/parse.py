"""Interventions from text (the command line): ``"resect=lPHC,lHC"``, ``"stimulate=rA1:pulse[amp=1,freq=10]"``, ...

:func:`parse_interventions` reads one keyword per kind (as the CLI's options);
:func:`parse_intervention` reads one ``kind=spec`` string.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from ..errors import InputError
from ..simulate.stimulus import Pattern, PulseTrain, Sine, Step
from .interventions import (Intervention, NoIntervention, compose, disconnect, lesion, resect, scale_coupling, scale_interhemispheric,
                            scale_params, set_params, shift_params, stimulate)

from .scenario import _EDGE_KEYWORDS

__all__ = ["parse_interventions", "parse_intervention"]

SOURCE = "whatif"

# ---------------------------------------------------------------------------
# parsing (command line)

_PATTERNS: dict[str, type] = {"pulse": PulseTrain, "pulses": PulseTrain, "pulsetrain": PulseTrain, "sine": Sine, "sin": Sine, "dc": Step, "step": Step}
_ALIASES = {"amp": "amplitude", "a": "amplitude", "freq": "frequency", "f": "frequency", "hz": "frequency", "w": "width", "t0": "onset", "start": "onset", "end": "stop"}


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [s.strip() for s in out if s.strip()]


def _number(text: str, field: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"expected a number, got {text!r}", source=SOURCE, field=field) from None


def _kv(text: str, field: str) -> dict[str, float]:
    out = {}
    for item in _split_top(text):
        if "=" not in item:
            raise InputError(f"expected name=value, got {item!r}", source=SOURCE, field=field)
        k, v = item.split("=", 1)
        out[k.strip()] = _number(v.strip(), f"{field}.{k.strip()}")
    return out


def _region_list(text: str) -> list:
    return [int(r) if re.fullmatch(r"\d+", r) else r for r in _split_top(text)]


def _parse_pattern(kind: str, opts: str, field: str) -> Pattern:
    cls = _PATTERNS.get(kind.strip().lower())
    if cls is None:
        raise InputError(f"unknown pattern {kind!r}; use pulse, sine or dc", source=SOURCE, field=field)
    kw = {_ALIASES.get(k.lower(), k): v for k, v in _kv(opts, field).items()} if opts else {}
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(kw) - names)
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(unknown)} for {cls.__name__}; it has {', '.join(sorted(names))}", source=SOURCE, field=field)
    return cls(**kw)


def _parse_params(text: str, field: str, build) -> list[Intervention]:
    """``"x0=-2.5,K=0.8"`` or ``"x0[lA1,lA2]=-2.5"``: one intervention per distinct region set."""
    out = []
    for item in _split_top(text):
        m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*(?:\[(.*)\])?\s*=\s*(\S+)\s*", item)
        if not m:
            raise InputError(f"expected name=value or name[regions]=value, got {item!r}", source=SOURCE, field=field)
        name, regs, val = m.groups()
        out.append(build(None if regs is None else _region_list(regs), **{name: _number(val, f"{field}.{name}")}))
    return out


def _parse_one(kind: str, text: str) -> list[Intervention]:
    kind = kind.strip().lower().replace("-", "_")
    text = str(text).strip()
    if kind == "resect":
        return [resect(_region_list(text))]
    if kind == "disconnect":
        return [disconnect(_split_top(text) if text.lower() not in _EDGE_KEYWORDS else text)]
    if kind == "lesion":
        edges, _, opts = text.partition(":")
        kw = {{"weight": "weight_factor", "w": "weight_factor", "speed": "speed_factor", "s": "speed_factor"}.get(k, k): v
              for k, v in _kv(opts, "lesion").items()} if opts else {}
        bad = sorted(set(kw) - {"weight_factor", "speed_factor"})
        if bad:
            raise InputError(f"unknown lesion option(s) {', '.join(bad)}; use weight= and speed=", source=SOURCE, field="lesion")
        e = edges.strip()
        return [lesion(e if e.lower() in _EDGE_KEYWORDS else _split_top(e), **kw)]
    if kind == "stimulate":
        parts = text.split(":", 2)
        if len(parts) < 2:
            raise InputError(f"expected regions:pattern[:options], got {text!r}", source=SOURCE, field="stimulate")
        regions, pat = parts[0], parts[1]
        return [stimulate(_region_list(regions), _parse_pattern(pat, parts[2] if len(parts) > 2 else "", "stimulate"))]
    if kind in ("set_params", "set"):
        return _parse_params(text, "set_params", lambda r, **v: set_params(r, **v))
    if kind in ("scale_params", "scale"):
        return _parse_params(text, "scale_params", lambda r, **v: scale_params(r, **v))
    if kind in ("shift_params", "shift"):
        return _parse_params(text, "shift_params", lambda r, **v: shift_params(r, **v))
    if kind == "scale_coupling":
        return [scale_coupling(_number(text, "scale_coupling"))]
    if kind == "scale_interhemispheric":
        return [scale_interhemispheric(_number(text, "scale_interhemispheric"))]
    raise InputError(
        f"unknown intervention {kind!r}; use resect, disconnect, lesion, stimulate, set_params, scale_params, shift_params, "
        "scale_coupling or scale_interhemispheric",
        source=SOURCE,
        field="intervention",
    )


def parse_interventions(**specs: str | Sequence[str] | None) -> Intervention | None:
    """Build one (composed) intervention from command-line style strings.

    Keyword arguments name the intervention; each value is a string or a list of
    strings (several interventions of that kind, also separable by ``;``).  They
    are composed in the order given.

    ==========================  ==============================================
    keyword                     example value
    ==========================  ==============================================
    ``resect``                  ``"lA1,lA2"``
    ``disconnect``              ``"lA1-lA2,lA1>rA1"`` or ``"interhemispheric"``
    ``lesion``                  ``"lA1-lA2:weight=0.5,speed=0.5"``, ``"all:speed=0.7"``
    ``stimulate``               ``"rA1:pulse:amp=1,period=100,width=5"``,
                                ``"rA1:sine:amp=0.5,freq=10"``, ``"rA1:dc:amp=0.2,onset=100"``
    ``set_params``              ``"x0=-2.5"``, ``"x0[lA1,lA2]=-3"``
    ``scale_params``            ``"K=0.8"``
    ``shift_params``            ``"x0=-0.3"``
    ``scale_coupling``          ``"0.8"``
    ``scale_interhemispheric``  ``"0.5"``
    ==========================  ==============================================

    Returns
    -------
    Intervention or None
        None when nothing was given.

    Raises
    ------
    InputError
        For an unknown kind, a malformed value or an unknown pattern option.
        Unknown regions are reported when the intervention is applied to a twin.
    """
    items: list[Intervention] = []
    for kind, value in specs.items():
        if value is None:
            continue
        values = [value] if isinstance(value, str) else list(value)
        for v in values:
            for piece in (p.strip() for p in str(v).split(";")):
                if piece:
                    items.extend(_parse_one(kind, piece))
    return compose(*items) if items else None


def parse_intervention(spec: str) -> Intervention:
    """One intervention from ``"kind=value; kind=value"`` (e.g. ``"resect=lA1,lA2; stimulate=rA1:dc:amp=0.2"``).

    ``"baseline"`` or ``"none"`` gives :class:`NoIntervention`.
    """
    spec = str(spec).strip()
    if spec.lower() in ("", "none", "baseline"):
        return NoIntervention()
    items: list[Intervention] = []
    for piece in (p.strip() for p in spec.split(";")):
        if not piece:
            continue
        kind, eq, value = piece.partition("=")
        if not eq:
            raise InputError(f"expected kind=value, got {piece!r}", source=SOURCE, field="intervention")
        items.extend(_parse_one(kind, value))
    return compose(*items)


Intervention.from_cli = staticmethod(parse_interventions)  # type: ignore[attr-defined]
Intervention.parse = staticmethod(parse_intervention)  # type: ignore[attr-defined]
