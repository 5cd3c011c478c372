"""Resection search: the smallest set of regions whose resection meets a target, over posterior draws.

The search is generic; the outcome says what must stop (its ``search_criteria``,
e.g. ``"propagation"`` -> the per-draw ``propagates`` of ``"seizure"``), which
regions are candidates by default, how ties are broken and how the result reads
(registered by the VEP workflow for the seizure outcome, :mod:`braintwin.vep.surgery`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .compare import _cost_key
from .interventions import resect
from .scenario import resolve_regions
from .outcomes import get_outcome
from .predict import Prediction, _context, _predict_with, _Runner

__all__ = ["ResectionSearch", "smallest_resection"]

SOURCE = "whatif"


@dataclasses.dataclass
class ResectionSearch:
    """Result of :func:`smallest_resection`.

    Attributes
    ----------
    regions : list of str or None
        The smallest resection found that stops propagation in at least
        ``target`` of the draws (None when none was found).
    p_stopped : float
        Fraction of draws without propagation after that resection (or after the best one tried).
    target : float
    candidates : list of str
        Regions searched.
    tried : list of dict
        Every resection simulated: ``regions``, ``p_stopped``, ``cost``.
    prediction : Prediction or None
        The prediction of the resection found (or of the best tried).
    baseline_p_propagation : float
        Fraction of draws with the event of the outcome's first criterion
        (``"seizure"``: spread beyond the EZ) without intervention.
    method, criterion, outcome : str
    """

    regions: list | None
    p_stopped: float
    target: float
    candidates: list
    tried: list
    prediction: Prediction | None
    baseline_p_propagation: float
    method: str
    criterion: str = "propagation"
    outcome: str = "seizure"

    @property
    def found(self) -> bool:
        return self.regions is not None

    def summary(self) -> str:
        """Plain words, in the outcome's terms."""
        return get_outcome(self.outcome).search_summary(self)

    def __str__(self) -> str:
        return self.summary()


class _Evaluator:
    """Simulates each resection once (cached) and scores it on the criterion's per-draw measure."""

    def __init__(self, runner: _Runner, context: dict, measure: str):
        self.runner, self.context, self.measure = runner, context, measure
        self.labels = runner.base.labels
        self.cache: dict[tuple, Prediction] = {}
        self.tried: list[dict] = []

    def __call__(self, subset: tuple[int, ...]) -> Prediction:
        key = tuple(sorted(subset))
        if key not in self.cache:
            p = _predict_with(self.runner, resect([self.labels[i] for i in key]), self.context)
            self.cache[key] = p
            stopped = 1.0 - float(np.mean(p.treated[self.measure])) if p.n_valid else float("nan")
            self.tried.append({"regions": [self.labels[i] for i in key], "p_stopped": stopped, "cost": p.cost})
        return self.cache[key]

    def stopped(self, p: Prediction) -> float:
        """Fraction of valid draws where the measure no longer happens (-1 without valid draws)."""
        return 1.0 - float(np.mean(p.treated[self.measure])) if p.n_valid else -1.0

    def key(self, p: Prediction) -> tuple:
        """Most draws stopped, then the outcome's tie-break (larger first), then the cheapest."""
        tie = self.runner.spec.search_tiebreak(p) if p.n_valid else -1.0
        return (-self.stopped(p), -tie, *_cost_key(p.cost))


def _exhaustive(ev: _Evaluator, cand: list[int], max_regions: int, target: float) -> tuple[tuple | None, tuple | None]:
    """Every subset, smallest size first; (found, best tried)."""
    best = None
    for size in range(1, min(max_regions, len(cand)) + 1):
        results = [(subset, ev(subset)) for subset in itertools.combinations(cand, size)]
        ok = [(s, p) for s, p in results if ev.stopped(p) >= target]
        s, p = min(ok or results, key=lambda sp: ev.key(sp[1]))
        if best is None or ev.stopped(p) > ev.stopped(ev.cache[best]):
            best = tuple(sorted(s))
        if ok:
            return tuple(sorted(s)), best
    return None, best


def _greedy(ev: _Evaluator, cand: list[int], max_regions: int, target: float) -> tuple[tuple | None, tuple | None]:
    """Add the region that stops the most draws, one at a time; (found, best tried)."""
    chosen: list[int] = []
    best = None
    for _ in range(min(max_regions, len(cand))):
        options = [(tuple(chosen + [c]), ev(tuple(chosen + [c]))) for c in cand if c not in chosen]
        s, p = min(options, key=lambda sp: ev.key(sp[1]))
        chosen = list(s)
        best = tuple(sorted(s))
        if ev.stopped(p) >= target:
            return best, best
    return None, best


def _check(target, method, max_regions, criterion, criteria) -> None:
    if not 0 < float(target) <= 1:
        raise InputError(f"target must be in (0, 1], got {target!r}", source=SOURCE, field="target")
    if method not in ("exhaustive", "greedy"):
        raise InputError(f"unknown method {method!r}; use 'exhaustive' or 'greedy'", source=SOURCE, field="method")
    if int(max_regions) < 1:
        raise InputError(f"max_regions must be >= 1, got {max_regions!r}", source=SOURCE, field="max_regions")
    if criterion not in criteria:
        known = " or ".join(repr(c) for c in criteria) or "none (this outcome has no resection search)"
        raise InputError(f"unknown criterion {criterion!r}; use {known}", source=SOURCE, field="criterion")


def smallest_resection(
    twin,
    candidates: Sequence | None = None,
    *,
    target: float = 0.95,
    max_regions: int = 3,
    n_candidates: int = 6,
    method: str = "exhaustive",
    criterion: str = "propagation",
    n_samples: int | None = 100,
    seed: int = 0,
    ez=None,
    outcome: str = "seizure",
    **sim_options: Any,
) -> ResectionSearch:
    """The smallest resection that stops seizure propagation in at least ``target`` of the posterior draws.

    Parameters
    ----------
    twin : twin-like or Scenario
        As for :func:`~braintwin.whatif.predict`.
    candidates : sequence of str or int, optional
        Regions that may be resected.  Default: the outcome's choice of
        ``n_candidates`` regions (``"seizure"``: the highest posterior mean
        excitability ``x0``, the likeliest EZ and PZ).
    target : float
        Required fraction of draws in which the criterion's event no longer
        happens (0.95).
    max_regions : int
        Largest resection tried.
    method : {"exhaustive", "greedy"}
        ``"exhaustive"`` tries every subset of the candidates, smallest first
        (within a size: most draws stopped, then smallest cost);
        ``"greedy"`` adds, one at a time, the region that stops the most draws.
        Ties go to the outcome's tie-break (``"seizure"``: more draws
        seizure-free), then to the cheaper resection.
    criterion : str
        What must stop, among the outcome's ``search_criteria``
        (``"seizure"``: ``"propagation"`` beyond the EZ, the default, or any
        ``"seizure"``, i.e. seizure freedom, which requires removing the EZ itself).
    outcome : str
        A registered outcome with a resection search (``"seizure"``).
    **kwargs
        As for :func:`~braintwin.whatif.predict`.

    Returns
    -------
    ResectionSearch

    Example
    -------
    >>> s = bt.whatif.smallest_resection(twin, target=0.95, max_regions=2)   # doctest: +SKIP
    >>> s.regions                                                            # doctest: +SKIP
    ['lPHC']
    """
    runner = _Runner(twin, n_samples=n_samples, seed=seed, params=None, outcome=outcome, options=sim_options)
    criteria = runner.spec.search_criteria
    _check(target, method, max_regions, criterion, criteria)
    base = runner.base
    if candidates is None:
        cand = [int(i) for i in runner.spec.search_candidates(base, int(n_candidates))]
    else:
        cand = resolve_regions(base.connectome, candidates, "candidates")
    ev = _Evaluator(runner, _context(runner, twin, ez), criteria[criterion])
    search = _exhaustive if method == "exhaustive" else _greedy
    found, best = search(ev, cand, int(max_regions), float(target))
    first = next(iter(criteria.values()))
    baseline = float(np.mean(next(iter(ev.cache.values())).baseline[first])) if ev.cache else float("nan")
    pick = found if found is not None else best
    pred = ev.cache.get(pick) if pick is not None else None
    labels = base.labels
    return ResectionSearch(
        regions=[labels[i] for i in found] if found is not None else None,
        p_stopped=ev.stopped(pred) if pred is not None else float("nan"),
        target=float(target), candidates=[labels[i] for i in cand], tried=ev.tried, prediction=pred,
        baseline_p_propagation=baseline, method=method, criterion=criterion, outcome=outcome,
    )
