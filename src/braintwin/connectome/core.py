"""The :class:`Connectome`: brain regions, tract weights and tract lengths."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BraintwinWarning, InputError
from . import readers, writers
from ._validate import _array, _bools, _check_lengths, _check_values, _close, _frozen, _labels, _matrix, _speed
from .hemispheres import infer_hemispheres
from .plot import plot_connectome

__all__ = ["Connectome", "as_connectome", "builtin", "infer_hemispheres", "NORMALIZATIONS"]

#: Accepted values of ``mode`` in :meth:`Connectome.normalized`.
NORMALIZATIONS = ("none", "max", "rowsum", "log1p")


class Connectome:
    """A structural connectome: regions, tract weights and tract lengths.

    Every parameter is kept as an attribute of the same name.  Arrays are stored
    as read-only float64 (or bool) copies; every method that changes something
    returns a new :class:`Connectome`.

    Parameters
    ----------
    weights : array_like, shape (N, N)
        Tract weights (arbitrary units, >= 0). As in TVB, row ``i`` is the
        *target* and column ``j`` the *source*: ``weights[i, j]`` is the tract
        from region ``j`` into region ``i``.
    tract_lengths : array_like, shape (N, N)
        Tract lengths in mm (>= 0).  Every nonzero off-diagonal weight needs a
        positive length (see ``allow_zero_lengths``).
    labels : sequence of str, optional
        Unique region names; default ``region_000``, ``region_001``, ...
    centres : array_like, shape (N, 3), optional
        Region centres in mm; default zeros.
    hemispheres : array_like of bool, shape (N,), optional
        ``True`` for the right hemisphere (as TVB); default inferred from the
        labels and centres by :func:`infer_hemispheres`.
    cortical : array_like of bool, shape (N,), optional
        ``True`` for cortical regions; default all ``True``.
    areas : array_like, shape (N,), optional
        Region areas in mm^2.
    orientations : array_like, shape (N, 3), optional
        Average region orientations (unit vectors).
    source : str, optional
        Where the data came from (a file or a built-in name); named in every
        error and warning.
    allow_zero_lengths : bool, optional
        Accept nonzero weights with a zero tract length (co-located regions);
        their delays are zero.  Negative lengths are always an error.
    warn : bool, optional
        Emit :class:`~braintwin.errors.BraintwinWarning` for asymmetric weights,
        self-connections and disconnected regions.

    Raises
    ------
    InputError
        If any array has the wrong shape, holds NaN/inf or negative values, the
        labels are missing or duplicated, or a tract has a weight but no length.

    Examples
    --------
    >>> import braintwin as bt
    >>> conn = bt.Connectome.builtin("tvb76")
    >>> conn.n_regions
    76
    >>> conn.delays(3.0).shape  # ms at 3 mm/ms (= 3 m/s)
    (76, 76)
    """

    def __init__(
        self,
        weights: Any,
        tract_lengths: Any,
        labels: Sequence[str] | None = None,
        centres: Any = None,
        hemispheres: Any = None,
        cortical: Any = None,
        areas: Any = None,
        orientations: Any = None,
        *,
        source: str | os.PathLike = "<arrays>",
        allow_zero_lengths: bool = False,
        warn: bool = True,
    ):
        self.source = str(source)
        src = self.source
        w = _matrix(weights, source=src, field="weights")
        n = w.shape[0]
        t = _matrix(tract_lengths, source=src, field="tract_lengths")
        if t.shape != w.shape:
            raise InputError(
                f"shape {t.shape} does not match weights {w.shape}", source=src, field="tract_lengths"
            )
        self.labels: list[str] = _labels(labels, n, source=src)
        _check_values(w, self.labels, source=src, field="weights", unit="")
        _check_values(t, self.labels, source=src, field="tract_lengths", unit=" mm")
        if not allow_zero_lengths:
            _check_lengths(w, t, self.labels, source=src)
        self.weights = _frozen(w)
        self.tract_lengths = _frozen(t)
        c = np.zeros((n, 3)) if centres is None else _array(centres, (n, 3), source=src, field="centres")
        self.centres = _frozen(c)
        self.hemispheres = _frozen(
            infer_hemispheres(self.labels, c) if hemispheres is None else _bools(hemispheres, n, source=src, field="hemispheres")
        )
        self.cortical = _frozen(np.ones(n, bool) if cortical is None else _bools(cortical, n, source=src, field="cortical"))
        self.areas = None if areas is None else _frozen(_array(areas, (n,), source=src, field="areas", nonnegative=True))
        self.orientations = None if orientations is None else _frozen(_array(orientations, (n, 3), source=src, field="orientations"))
        if warn:
            self._warn_suspicious()

    # ------------------------------------------------------------------ basics
    @property
    def n_regions(self) -> int:
        """Number of regions ``N``."""
        return self.weights.shape[0]

    @property
    def n_edges(self) -> int:
        """Number of nonzero off-diagonal weights (directed edges)."""
        return int(np.count_nonzero(self.weights) - np.count_nonzero(np.diag(self.weights)))

    @property
    def density(self) -> float:
        """Fraction of the ``N (N - 1)`` possible directed edges that are present."""
        n = self.n_regions
        return self.n_edges / (n * (n - 1)) if n > 1 else 0.0

    @property
    def is_symmetric(self) -> bool:
        """Whether ``weights`` equals its transpose (to 1e-6 relative)."""
        w = self.weights
        scale = float(np.max(w)) if w.size else 0.0
        return bool(np.allclose(w, w.T, rtol=1e-6, atol=1e-12 * scale))

    @property
    def self_connections(self) -> int:
        """Number of nonzero diagonal weights."""
        return int(np.count_nonzero(np.diag(self.weights)))

    @property
    def disconnected(self) -> list[str]:
        """Labels of regions with no incoming and no outgoing off-diagonal weight."""
        w = self.weights.copy()
        np.fill_diagonal(w, 0.0)
        idx = np.flatnonzero((w.sum(axis=0) == 0) & (w.sum(axis=1) == 0))
        return [self.labels[i] for i in idx]

    def __repr__(self) -> str:
        return (
            f"<Connectome {self.source}: {self.n_regions} regions, {self.n_edges} edges, "
            f"density {self.density:.3f}>"
        )

    def __len__(self) -> int:
        return self.n_regions

    # ------------------------------------------------------------- derivations
    def delays(self, speed_mm_per_ms: float) -> np.ndarray:
        """Conduction delays of every tract.

        Parameters
        ----------
        speed_mm_per_ms : float
            Conduction speed in mm/ms (numerically equal to m/s), > 0.

        Returns
        -------
        ndarray of float64, shape (N, N)
            ``tract_lengths / speed`` in ms.

        Raises
        ------
        InputError
            If the speed is not a finite positive number.
        """
        speed = _speed(speed_mm_per_ms, source=self.source)
        return self.tract_lengths / speed

    def normalized(self, mode: str | None = "max") -> "Connectome":
        """Return a copy with normalised weights.

        Parameters
        ----------
        mode : {"max", "rowsum", "log1p", "none", None}
            ``"max"`` divides by the largest weight; ``"rowsum"`` divides each row
            (the inputs of one target region) by its sum, leaving rows that sum to
            zero unchanged; ``"log1p"`` takes ``log(1 + w)``; ``None``/``"none"``
            changes nothing.

        Returns
        -------
        Connectome

        Raises
        ------
        InputError
            For an unknown mode.
        """
        key = "none" if mode is None else str(mode).lower()
        w = np.array(self.weights)
        if key == "max":
            top = w.max()
            if top > 0:
                w = w / top
        elif key == "rowsum":
            sums = w.sum(axis=1, keepdims=True)
            w = np.divide(w, sums, out=w.copy(), where=sums > 0)
        elif key == "log1p":
            w = np.log1p(w)
        elif key != "none":
            raise InputError(
                f"unknown normalisation {mode!r}; use one of {', '.join(NORMALIZATIONS)}",
                source=self.source,
                field="normalize",
            )
        return self.replace(weights=w)

    def thresholded(self, min_weight: float | None = None, *, proportion: float | None = None) -> "Connectome":
        """Return a copy keeping only the strong tracts (weights below the threshold set to zero).

        Thresholding removes weak, often spurious, tracts, as connectomics commonly
        does before modelling.  Give exactly one of:

        Parameters
        ----------
        min_weight : float, optional
            Absolute threshold: weights ``>= min_weight`` are kept.
        proportion : float in (0, 1], optional
            Proportional threshold: the strongest ``proportion`` of the non-zero
            weights are kept (ties at the cut are all kept).

        Returns
        -------
        Connectome
            Same regions and tract lengths; a removed tract has weight 0.

        Raises
        ------
        InputError
            If neither or both thresholds are given, or a value is out of range.

        Examples
        --------
        tvb76's weights are CoCoMac strength categories (weak, moderate, strong);
        its strong tracts alone:

        >>> strong = Connectome.builtin("tvb76").normalized("max").thresholded(1.0)
        """
        if (min_weight is None) == (proportion is None):
            raise InputError("give exactly one of min_weight and proportion", source=self.source, field="threshold")
        name, value = ("proportion", proportion) if proportion is not None else ("min_weight", min_weight)
        try:
            value = float(value)
        except (TypeError, ValueError):
            value = float("nan")
        w = np.array(self.weights)
        if name == "proportion":
            if not 0.0 < value <= 1.0:  # also refuses NaN
                raise InputError(f"proportion must be in (0, 1], got {proportion!r}", source=self.source, field="proportion")
            nz = np.sort(w[w > 0])[::-1]
            if nz.size == 0:
                return self.replace(weights=w)
            value = float(nz[max(0, int(np.ceil(value * nz.size)) - 1)])
        elif not np.isfinite(value):
            raise InputError(f"min_weight must be a finite number, got {min_weight!r}", source=self.source, field="min_weight")
        return self.replace(weights=np.where(w >= value, w, 0.0))

    def with_zero_diagonal(self) -> "Connectome":
        """Return a copy whose self-connections (diagonal weights) are zero.

        Returns
        -------
        Connectome
        """
        w = np.array(self.weights)
        np.fill_diagonal(w, 0.0)
        return self.replace(weights=w)

    def subset(self, regions: Sequence[str] | Sequence[int] | np.ndarray) -> "Connectome":
        """Select and reorder regions.

        Parameters
        ----------
        regions : sequence of str, sequence of int, or bool mask
            Labels or indices, in the order wanted, or a boolean mask of length N.

        Returns
        -------
        Connectome
            The selected regions, in the given order.

        Raises
        ------
        InputError
            For an unknown label, an index out of range, a repeated region or an
            empty selection.
        """
        idx = self._indices(regions)
        sel = np.ix_(idx, idx)
        pick = lambda a: None if a is None else np.asarray(a)[idx]  # noqa: E731
        return Connectome(
            self.weights[sel],
            self.tract_lengths[sel],
            [self.labels[i] for i in idx],
            pick(self.centres),
            pick(self.hemispheres),
            pick(self.cortical),
            pick(self.areas),
            pick(self.orientations),
            source=self.source,
            allow_zero_lengths=True,
            warn=False,
        )

    def copy(self) -> "Connectome":
        """Return an independent copy (arrays are copied, still read-only)."""
        return self.replace()

    # ----------------------------------------------------------------- reports
    def summary(self, speed: float = 3.0) -> dict[str, Any]:
        """Key numbers of the connectome, as plain JSON-ready Python values.

        Parameters
        ----------
        speed : float
            Conduction speed in mm/ms used for the delay range.

        Returns
        -------
        dict
            ``n_regions``, ``n_edges``, ``density``, ``weight_min``/``weight_max``
            (over nonzero weights, self-connections included),
            ``tract_length_min``/``tract_length_max`` (mm) and
            ``delay_min_ms``/``delay_max_ms`` (over nonzero-weight off-diagonal
            edges; ``None`` without edges), ``speed_mm_per_ms``, ``symmetric``,
            ``self_connections``, ``disconnected_regions`` (labels),
            ``n_right``, ``n_left``, ``n_cortical`` and ``source``.
        """
        speed = _speed(speed, source=self.source)
        w = self.weights
        nonzero = w[w > 0]
        edges = (w > 0) & ~np.eye(self.n_regions, dtype=bool)
        lengths = self.tract_lengths[edges]
        opt = lambda f, a: float(f(a)) if a.size else None  # noqa: E731
        return {
            "source": self.source,
            "n_regions": self.n_regions,
            "n_edges": self.n_edges,
            "density": float(self.density),
            "symmetric": self.is_symmetric,
            "self_connections": self.self_connections,
            "disconnected_regions": self.disconnected,
            "weight_min": opt(np.min, nonzero),
            "weight_max": opt(np.max, nonzero),
            "tract_length_min": opt(np.min, lengths),
            "tract_length_max": opt(np.max, lengths),
            "speed_mm_per_ms": speed,
            "delay_min_ms": opt(np.min, lengths / speed),
            "delay_max_ms": opt(np.max, lengths / speed),
            "n_right": int(self.hemispheres.sum()),
            "n_left": int((~self.hemispheres).sum()),
            "n_cortical": int(self.cortical.sum()),
        }

    def plot(self, out: str | os.PathLike | None = None):
        """Draw the weights matrix and a glass-brain view of the strongest tracts.

        Parameters
        ----------
        out : path, optional
            Also save the figure there (format from the extension, written
            atomically).

        Returns
        -------
        matplotlib.figure.Figure
        """
        return plot_connectome(self, out)

    # ------------------------------------------------------------------- files
    @classmethod
    def load(cls, path_or_name: str | os.PathLike, **kwargs: Any) -> "Connectome":
        """Read a connectome from a file, a folder or a built-in name.

        Parameters
        ----------
        path_or_name : str or path
            A built-in name (``"tvb76"``, see :meth:`builtin`), a TVB ``.zip``,
            an ``.h5``/``.hdf5`` file (TVB's or ours), an ``.npz``, a folder of
            matrices, or an MRtrix3 ``tck2connectome`` matrix
            (``.csv``/``.tsv``/``.txt``).
        **kwargs
            Passed to the reader: ``warn``, ``allow_zero_lengths``; for MRtrix
            matrices also ``lengths``, ``labels``, ``delimiter``, ``symmetrize``;
            for folders ``labels``, ``delimiter``.

        Returns
        -------
        Connectome

        Raises
        ------
        InputError
            If the file is missing, of an unknown kind, or malformed.
        """
        return cls(**readers.read_fields(path_or_name, **kwargs))

    def save(self, path: str | os.PathLike) -> Path:
        """Write the connectome; the format follows the extension.

        Parameters
        ----------
        path : str or path
            ``.zip`` (TVB), ``.h5``/``.hdf5`` (TVB-compatible HDF5) or ``.npz``.

        Returns
        -------
        pathlib.Path
            The path written (atomically).
        """
        return writers.save(self, path)

    @classmethod
    def builtin(cls, name: str) -> "Connectome":
        """A connectome shipped with ``tvb-data``.

        Parameters
        ----------
        name : {"tvb66", "tvb68", "tvb76", "tvb96", "tvb192"}
            The number is the number of regions.

        Returns
        -------
        Connectome
            Loaded quietly (the shipped data are asymmetric and have
            self-connections; ``tvb192`` has tracts of zero length between
            co-located thalamic nuclei).

        Raises
        ------
        InputError
            For an unknown name (the message lists the valid ones).
        """
        return cls(**readers.builtin_fields(name))

    # ---------------------------------------------------------------- helpers
    def replace(self, **changes: Any) -> "Connectome":
        """A new Connectome with some fields replaced, built quietly (no warnings, zero lengths allowed).

        Parameters
        ----------
        **changes
            Any of ``weights``, ``tract_lengths`` (mm), ``labels``, ``centres``,
            ``hemispheres``, ``cortical``, ``areas``, ``orientations``, ``source``.

        Examples
        --------
        >>> lesioned = conn.replace(weights=conn.weights * 0.5)   # doctest: +SKIP
        """
        fields = dict(
            weights=self.weights,
            tract_lengths=self.tract_lengths,
            labels=list(self.labels),
            centres=self.centres,
            hemispheres=self.hemispheres,
            cortical=self.cortical,
            areas=self.areas,
            orientations=self.orientations,
            source=self.source,
        )
        fields.update(changes)
        return Connectome(**fields, allow_zero_lengths=True, warn=False)

    def _indices(self, regions) -> np.ndarray:
        n, src = self.n_regions, self.source
        if isinstance(regions, (str, int, np.integer)):
            regions = [regions]
        arr = np.asarray(regions)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise InputError(f"boolean mask has shape {arr.shape}, expected ({n},)", source=src, field="regions")
            idx = np.flatnonzero(arr)
        elif arr.dtype.kind in "iu":
            idx = arr.astype(int).ravel()
            bad = idx[(idx < -n) | (idx >= n)]
            if bad.size:
                raise InputError(f"index {bad[0]} is out of range for {n} regions", source=src, field="regions")
            idx = idx % n
        else:
            where = {label: i for i, label in enumerate(self.labels)}
            idx_list = []
            for label in (str(x) for x in arr.ravel()):
                if label not in where:
                    raise InputError(f"unknown region label {label!r}{_close(label, self.labels)}", source=src, field="regions")
                idx_list.append(where[label])
            idx = np.array(idx_list, dtype=int)
        if idx.size == 0:
            raise InputError("no regions selected", source=src, field="regions")
        uniq, counts = np.unique(idx, return_counts=True)
        if (counts > 1).any():
            raise InputError(f"region {self.labels[uniq[counts > 1][0]]!r} is selected twice", source=src, field="regions")
        return idx

    def _warn_suspicious(self) -> None:
        src = self.source
        w = self.weights
        if not self.is_symmetric:
            pairs = int(np.count_nonzero(~np.isclose(w, w.T, rtol=1e-6)) // 2)
            _warn(f"{src}: weights: asymmetric ({pairs} pairs differ); rows are targets, columns sources")
        if self.self_connections:
            _warn(f"{src}: weights: {self.self_connections} self-connections (nonzero diagonal)")
        lonely = self.disconnected
        if lonely:
            shown = ", ".join(lonely[:10]) + (", ..." if len(lonely) > 10 else "")
            _warn(f"{src}: weights: {len(lonely)} disconnected regions: {shown}")


# ---------------------------------------------------------------------------
# validation helpers


def _warn(message: str) -> None:
    warnings.warn(message, BraintwinWarning, stacklevel=4)


def builtin(name: str) -> Connectome:
    """Load a built-in connectome quietly (no warnings for the shipped data).

    Parameters
    ----------
    name : str
        One of ``tvb66``, ``tvb68``, ``tvb76``, ``tvb96``, ``tvb192``
        (case-insensitive).

    Returns
    -------
    Connectome
        A fresh object (the file is read once); its ``source`` is the name.

    Examples
    --------
    >>> builtin("tvb76").n_regions
    76
    """
    return Connectome.builtin(name)


def as_connectome(x: Any, *, source: str | None = None, field: str = "connectome") -> Connectome:
    """Coerce a connectome argument: the one place where "Connectome, path or name?" is decided.

    Parameters
    ----------
    x : Connectome, str, path or connectome-like
        A :class:`Connectome` (returned as is), a path to any file or folder
        :meth:`Connectome.load` reads, a built-in name such as ``"tvb76"``, or
        an object with ``weights`` (and optionally ``tract_lengths`` (zeros if
        absent), ``labels``, ``centres``, ``hemispheres``, ``cortical``,
        ``areas``, ``source``), built into a Connectome without warnings.
    source, field : str, optional
        Where the argument came from, for the error message (e.g. the
        configuration file and its key).

    Returns
    -------
    Connectome

    Raises
    ------
    InputError
        For ``None`` or another type, and for anything :meth:`Connectome.load` refuses.

    Examples
    --------
    >>> as_connectome("tvb76").n_regions
    76
    """
    if isinstance(x, Connectome):
        return x
    if isinstance(x, (str, os.PathLike)):
        return Connectome.load(x)
    if x is None:
        raise InputError("no connectome given", source=source, field=field)
    if hasattr(x, "weights"):  # connectome-like (weights, tract_lengths, labels, ...): quietly, as given
        return _from_like(x)
    raise InputError(
        f"expected a Connectome, a file or folder path, or a built-in name ({', '.join(readers.BUILTINS)}); "
        f"got {type(x).__name__}",
        source=source,
        field=field,
    )


def _from_like(x: Any) -> Connectome:
    """A quiet Connectome from a connectome-like object (zero tract lengths if it has none)."""
    return Connectome(
        weights=x.weights,
        tract_lengths=getattr(x, "tract_lengths", np.zeros_like(np.asarray(x.weights, float))),
        labels=getattr(x, "labels", None),
        centres=getattr(x, "centres", None),
        hemispheres=getattr(x, "hemispheres", None),
        cortical=getattr(x, "cortical", None),
        areas=getattr(x, "areas", None),
        source=getattr(x, "source", "<arrays>"),
        allow_zero_lengths=True,
        warn=False,
    )
