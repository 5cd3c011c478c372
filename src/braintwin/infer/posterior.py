"""The :class:`Posterior`: draws of a twin's parameters, whichever method made them.

A posterior is a set of equally weighted draws: one array per parameter whose
leading axis is the draw (``"x0"``: ``(n_draws, n_regions)``, ``"K"``:
``(n_draws,)``).  NUTS chains (merged chain by chain), an amortised neural
posterior estimator's samples or any other sampler's output all fit this one
container, so the twin, the what-if predictions and the reports never need to
know where the draws came from.  ``method`` says which (``"nuts"``, ``"npe"``,
...), ``diagnostics`` holds that method's checks (R-hat, ESS, divergences for
MCMC; coverage/calibration for SBI) and ``info`` its settings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .._io import atomic_path
from .._tree import canonical_json, canonical_tree, describe_tree, read_tree, trees_equal, write_tree
from ..errors import InputError

__all__ = ["Posterior", "write_posterior", "read_posterior", "posterior_to_group", "posterior_from_group"]


class Posterior:
    """Draws from the posterior distribution of a twin's parameters.

    Parameters
    ----------
    samples : mapping of str to array_like
        One array per parameter; the leading axis is the draw and has the same
        length ``n_draws >= 1`` for every parameter.  Numeric (or bool) and
        finite.  Dtypes are kept (float32 draws from JAX stay float32).
    method : str, optional
        How the draws were made: ``"nuts"``, ``"npe"`` (amortised neural
        posterior estimation), ``"smc"``, ``"prior"``, ...
    diagnostics : mapping, optional
        The method's checks, e.g. ``{"rhat": {"x0": array}, "divergences": 0,
        "ok": True}``: nested dicts of arrays and JSON values.
    labels : mapping of str to sequence, optional
        Names along each trailing axis of a parameter: for ``"x0"`` of shape
        ``(n_draws, n_regions)`` either the list of region labels, or a list
        with one entry per trailing axis (a list of str, or ``None`` for an
        unlabelled axis).
    n_chains : int, optional
        Number of independent chains the draws come from, stored chain after
        chain (``n_draws`` must be a multiple).  1 for independent draws.
    info : mapping, optional
        JSON-ready settings of the method (number of warm-up steps, estimator
        architecture, training simulations, ...).

    Raises
    ------
    InputError
        For an empty posterior, mismatched numbers of draws, non-finite or
        non-numeric draws, labels that do not fit the shapes, or ``n_draws`` not
        a multiple of ``n_chains``.

    Examples
    --------
    >>> import numpy as np
    >>> from braintwin.infer import Posterior
    >>> rng = np.random.default_rng(0)
    >>> p = Posterior({"x0": rng.normal(-2.5, 0.1, (400, 3)), "K": rng.gamma(2, 1, 400)},
    ...               method="nuts", labels={"x0": ["a", "b", "c"]}, n_chains=4)
    >>> p.n_draws, p.shapes["x0"]
    (400, (3,))
    >>> p.quantiles([0.05, 0.95])["x0"].shape
    (2, 3)
    """

    def __init__(
        self,
        samples: Mapping[str, Any],
        *,
        method: str = "unknown",
        diagnostics: Mapping[str, Any] | None = None,
        labels: Mapping[str, Any] | None = None,
        n_chains: int = 1,
        info: Mapping[str, Any] | None = None,
    ):
        if not isinstance(samples, Mapping) or not samples:
            raise InputError("a posterior needs at least one parameter's draws", field="posterior.samples")
        tree = canonical_tree(dict(samples), "posterior.samples")
        n = None
        self.samples: dict[str, np.ndarray] = {}
        for name, value in tree.items():
            where = f"posterior.samples.{name}"
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
                raise InputError("expected a numeric array with draws on the leading axis", field=where)
            if value.ndim == 0 or value.shape[0] == 0:
                raise InputError(f"expected at least one draw on the leading axis, got shape {value.shape}", field=where)
            if n is None:
                n = value.shape[0]
            elif value.shape[0] != n:
                raise InputError(f"{value.shape[0]} draws, but other parameters have {n}", field=where)
            if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                bad = int(np.sum(~np.isfinite(value)))
                raise InputError(f"{bad} non-finite value(s) among the draws", field=where)
            value.flags.writeable = False
            self.samples[name] = value
        if not isinstance(method, str) or not method.strip():
            raise InputError("method must be a non-empty string (e.g. 'nuts', 'npe')", field="posterior.method")
        self.method = method
        if isinstance(n_chains, bool) or not isinstance(n_chains, (int, np.integer)) or n_chains < 1 or n % n_chains:
            raise InputError(f"n_chains={n_chains!r} must be a positive integer dividing n_draws={n}", field="posterior.n_chains")
        self.n_chains = int(n_chains)
        self.diagnostics: dict[str, Any] = canonical_tree(diagnostics, "posterior.diagnostics")
        self.info: dict[str, Any] = canonical_json(dict(info or {}), "posterior.info")
        self.labels: dict[str, list] = self._check_labels(labels or {})

    def _check_labels(self, labels: Mapping[str, Any]) -> dict[str, list]:
        out: dict[str, list] = {}
        for name, lab in labels.items():
            where = f"posterior.labels.{name}"
            if name not in self.samples:
                raise InputError(f"labels for unknown parameter {name!r}", field=where)
            trailing = self.samples[name].shape[1:]
            lab = canonical_json(lab, where)
            if not isinstance(lab, list):
                raise InputError("expected a list of labels", field=where)
            if lab and all(isinstance(x, str) for x in lab):
                lab = [lab]  # shorthand: labels of the only trailing axis
            if len(lab) != len(trailing):
                raise InputError(f"{len(lab)} labelled axes for a parameter with draws of shape {trailing}", field=where)
            for axis, (ax_labels, size) in enumerate(zip(lab, trailing)):
                if ax_labels is None:
                    continue
                if not isinstance(ax_labels, list) or not all(isinstance(x, str) for x in ax_labels):
                    raise InputError(f"axis {axis}: expected a list of str or None", field=where)
                if len(ax_labels) != size:
                    raise InputError(f"axis {axis}: {len(ax_labels)} labels for {size} values", field=where)
            out[name] = lab
        return out

    # ------------------------------------------------------------ construction
    @classmethod
    def from_chains(cls, samples: Mapping[str, Any], **kwargs: Any) -> "Posterior":
        """A posterior from per-chain draws ``(n_chains, n_draws_per_chain, ...)``.

        Parameters
        ----------
        samples : mapping of str to array_like
            Every array shaped ``(n_chains, n_draws_per_chain, ...)``.
        **kwargs
            ``method``, ``diagnostics``, ``labels``, ``info`` as for :class:`Posterior`.

        Returns
        -------
        Posterior
            Draws merged chain after chain, ``n_chains`` recorded.
        """
        arrays = {k: np.asarray(v) for k, v in samples.items()}
        if not arrays or any(a.ndim < 2 for a in arrays.values()):
            raise InputError("expected arrays shaped (n_chains, n_draws, ...)", field="posterior.samples")
        chains = {a.shape[0] for a in arrays.values()}
        if len(chains) != 1:
            raise InputError(f"parameters disagree on the number of chains: {sorted(chains)}", field="posterior.samples")
        flat = {k: a.reshape((-1,) + a.shape[2:]) for k, a in arrays.items()}
        return cls(flat, n_chains=chains.pop(), **kwargs)

    @classmethod
    def from_nuts(cls, result: Any, *, labels: Mapping[str, Any] | None = None, params: Sequence[str] | None = None) -> "Posterior":
        """A posterior from a NUTS result (``braintwin.infer``'s or any alike).

        Duck-typed: ``result.samples`` maps names to ``(n_chains, n_draws, ...)``
        arrays; ``result.diagnostics`` (optional) has ``to_dict()`` and per-parameter
        ``rhat``/``ess`` dicts; ``result.settings`` and ``result.timings`` (optional)
        go to ``info``.

        Parameters
        ----------
        result : object
        labels : mapping, optional
            As for :class:`Posterior`.
        params : sequence of str, optional
            Keep only these sample sites (default: all).

        Returns
        -------
        Posterior
            ``method="nuts"``.
        """
        samples = dict(result.samples)
        if params is not None:
            missing = sorted(set(params) - set(samples))
            if missing:
                raise InputError(f"no sample site(s) {', '.join(missing)}", field="posterior.samples")
            samples = {k: samples[k] for k in params}
        diag: dict[str, Any] = {}
        d = getattr(result, "diagnostics", None)
        if d is not None:
            if hasattr(d, "to_dict"):
                diag.update(d.to_dict())
            for part in ("rhat", "ess", "zscore", "shrinkage"):
                vals = getattr(d, part, None)
                if isinstance(vals, Mapping) and vals:
                    diag[part] = {k: np.asarray(v) for k, v in vals.items() if k in samples}
        info: dict[str, Any] = {}
        for part in ("settings", "timings"):
            v = getattr(result, part, None)
            if isinstance(v, Mapping) and v:
                info[part] = canonical_json(dict(v), f"posterior.info.{part}")
        for part in ("chain_method", "n_devices"):
            if hasattr(result, part):
                info[part] = canonical_json(getattr(result, part), f"posterior.info.{part}")
        return cls.from_chains(samples, method="nuts", diagnostics=diag, labels=labels, info=info)

    # ------------------------------------------------------------------ access
    @property
    def n_draws(self) -> int:
        """Number of draws (all chains together)."""
        return next(iter(self.samples.values())).shape[0]

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Parameter names, in order."""
        return tuple(self.samples)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of one draw of each parameter."""
        return {k: v.shape[1:] for k, v in self.samples.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.samples[name]
        except KeyError:
            raise InputError(
                f"no parameter {name!r}; the posterior has {', '.join(self.samples)}", field="posterior.samples"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.samples

    def chains(self, name: str) -> np.ndarray:
        """Draws of one parameter split by chain: ``(n_chains, n_draws // n_chains, ...)``.

        Parameters
        ----------
        name : str

        Returns
        -------
        ndarray
        """
        x = self[name]
        return x.reshape((self.n_chains, -1) + x.shape[1:])

    def _select(self, name: str | None) -> dict[str, np.ndarray]:
        return {name: self[name]} if name is not None else self.samples

    # --------------------------------------------------------------- summaries
    def mean(self, name: str | None = None) -> dict[str, np.ndarray] | np.ndarray:
        """Posterior mean of every parameter (or of ``name``).

        Parameters
        ----------
        name : str, optional

        Returns
        -------
        dict of str to ndarray, or ndarray when ``name`` is given
            Arrays shaped like one draw (float64).
        """
        out = {k: np.mean(v, axis=0, dtype=float) for k, v in self._select(name).items()}
        return out[name] if name is not None else out

    def std(self, name: str | None = None) -> dict[str, np.ndarray] | np.ndarray:
        """Posterior standard deviation of every parameter (or of ``name``).

        Parameters
        ----------
        name : str, optional

        Returns
        -------
        dict of str to ndarray, or ndarray when ``name`` is given
        """
        out = {k: np.std(v, axis=0, dtype=float) for k, v in self._select(name).items()}
        return out[name] if name is not None else out

    def quantiles(self, q: float | Sequence[float], name: str | None = None) -> dict[str, np.ndarray] | np.ndarray:
        """Posterior quantiles of every parameter (or of ``name``).

        Parameters
        ----------
        q : float or sequence of float
            Probabilities in [0, 1].
        name : str, optional

        Returns
        -------
        dict of str to ndarray, or ndarray when ``name`` is given
            Shaped ``q``'s shape followed by one draw's shape.
        """
        qa = np.asarray(q, dtype=float)
        if not np.all((qa >= 0) & (qa <= 1)):
            raise InputError(f"quantile probabilities must lie in [0, 1], got {q!r}", field="q")
        out = {k: np.quantile(v.astype(float), qa, axis=0) for k, v in self._select(name).items()}
        return out[name] if name is not None else out

    def draw(self, n: int, seed: int | np.random.Generator | None = None, *, replace: bool = False) -> dict[str, np.ndarray]:
        """``n`` random draws (the same draw indices for every parameter).

        Parameters
        ----------
        n : int
            Number of draws; at most ``n_draws`` unless ``replace``.
        seed : int or numpy.random.Generator, optional
        replace : bool, optional
            Draw with replacement.

        Returns
        -------
        dict of str to ndarray
            Each ``(n, ...)``; joint draws, so parameters stay paired.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError(f"n must be a non-negative integer, got {n!r}", field="n")
        if n > self.n_draws and not replace:
            raise InputError(f"asked for {n} draws without replacement from {self.n_draws}", field="n")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        idx = rng.choice(self.n_draws, size=int(n), replace=replace)
        return {k: v[idx] for k, v in self.samples.items()}

    def summary(self) -> dict[str, Any]:
        """JSON-ready outline: method, draws, chains, parameter shapes and diagnostics.

        Returns
        -------
        dict
        """
        return {
            "method": self.method,
            "n_draws": self.n_draws,
            "n_chains": self.n_chains,
            "parameters": {k: list(s) for k, s in self.shapes.items()},
            "diagnostics": describe_tree(self.diagnostics),
            "info": self.info,
        }

    def equals(self, other: Any) -> bool:
        """Exact equality: same draws (dtype, shape, values), method, chains, labels, diagnostics and info.

        Parameters
        ----------
        other : object

        Returns
        -------
        bool
        """
        return (
            isinstance(other, Posterior)
            and self.method == other.method
            and self.n_chains == other.n_chains
            and list(self.samples) == list(other.samples)
            and trees_equal(self.samples, other.samples)
            and trees_equal(self.diagnostics, other.diagnostics)
            and trees_equal(self.labels, other.labels)
            and trees_equal(self.info, other.info)
        )

    def __repr__(self) -> str:
        params = ", ".join(f"{k}{list(s) if s else ''}" for k, s in self.shapes.items())
        return f"Posterior(method={self.method!r}, n_draws={self.n_draws}, n_chains={self.n_chains}, parameters: {params})"


# ------------------------------------------------------------------------ storage
def posterior_to_group(group: h5py.Group, p: Posterior) -> None:
    """Store a posterior in an (empty) HDF5 group: JSON attributes, ``samples/<name>``, ``diagnostics/``.

    The layout of the twin file's ``/posterior`` (see :mod:`braintwin.twin.io`).
    """
    for k, v in {"method": p.method, "n_chains": p.n_chains, "labels": p.labels, "info": p.info}.items():
        group.attrs[k] = json.dumps(v, allow_nan=True)
    s = group.create_group("samples", track_order=True)
    for k, v in p.samples.items():
        s.create_dataset(k, data=v)
    write_tree(group.create_group("diagnostics", track_order=True), p.diagnostics)


def posterior_from_group(group: h5py.Group) -> Posterior:
    """The posterior :func:`posterior_to_group` stored."""
    a = {k: json.loads(v) for k, v in group.attrs.items()}
    return Posterior({k: np.asarray(d[()]) for k, d in group["samples"].items()}, method=a["method"],
                     n_chains=a["n_chains"], labels=a["labels"], info=a["info"],
                     diagnostics=read_tree(group["diagnostics"]))


def write_posterior(posterior: Posterior, path: str | os.PathLike) -> Path:
    """Write a posterior alone to an HDF5 file (atomically; ``/posterior`` as in a twin file).

    Parameters
    ----------
    posterior : Posterior
    path : str or path-like

    Returns
    -------
    Path

    Examples
    --------
    >>> write_posterior(post, "posterior.h5"); read_posterior("posterior.h5").equals(post)   # doctest: +SKIP
    True
    """
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["kind"] = "braintwin-posterior"
        posterior_to_group(f.create_group("posterior", track_order=True), posterior)
    return path


def read_posterior(path: str | os.PathLike) -> Posterior:
    """Read a posterior written by :func:`write_posterior` (or the posterior of a twin file).

    Raises
    ------
    InputError
        Missing or unreadable file, or no posterior in it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("posterior file not found", source=str(path))
    try:
        with h5py.File(path, "r") as f:
            if "posterior" not in f:
                raise InputError("no posterior in this file", source=str(path))
            return posterior_from_group(f["posterior"])
    except InputError:
        raise
    except (OSError, KeyError, ValueError) as e:
        raise InputError(f"corrupt or unreadable posterior file ({type(e).__name__})", source=str(path)) from None
