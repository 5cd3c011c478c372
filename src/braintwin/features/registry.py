"""Named feature sets and :func:`compute`, which returns labelled feature vectors.

A *feature set* is a documented recipe that turns a batch of recordings
``(..., n_times, n_channels)`` into a fixed number of named features. Sets are
selected by name::

    import braintwin as bt
    fv = bt.features.compute(x, ["fc", "fcd_stats", "psd_peak"], fs_hz=250.0)
    fv.values          # (..., n_features)
    fv.names           # ["fc[ch0,ch1]", ..., "fcd_stats[var]", ..., "psd_peak[ch0]", ...]
    bt.features.available()   # {name: one-line description}

Options (keyword arguments of :func:`compute`) are shared by all requested
sets; :func:`describe` lists each set's options and defaults. An option that
no requested set uses is an error (it is most likely a typo).
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from ..errors import BraintwinWarning, InputError
from . import spectral as _spec
from ._kernels import serial_kernels
from ._validate import SOURCE, as_signal, positive_int, sampling_rate


def _n_workers(n_threads) -> int:
    if n_threads is None:
        import numba

        return max(1, int(numba.get_num_threads()))
    return positive_int(n_threads, "n_threads")

__all__ = ["FeatureVector", "FeatureSet", "compute", "available", "describe", "register", "get_feature_set"]


# --------------------------------------------------------------------------------------
# the labelled result
# --------------------------------------------------------------------------------------


class FeatureVector:
    """Features of a batch of recordings, with a name for every column.

    Parameters
    ----------
    values : ndarray, shape (..., n_features)
        Feature values; leading axes are the batch axes of the input.
    names : list of str
        One label per feature, e.g. ``"fc[ch0,ch1]"``, ``"psd_peak[ch3]"``,
        ``"band_power[alpha,ch3]"``, ``"fcd_stats[var]"``.
    groups : dict of str to slice, optional
        Columns of each feature set, in order.

    Attributes
    ----------
    values, names, groups
    """

    __slots__ = ("values", "names", "groups")

    def __init__(self, values, names, groups: Mapping[str, slice] | None = None):
        values = np.asarray(values)
        names = [str(n) for n in names]
        if values.ndim < 1 or values.shape[-1] != len(names):
            raise InputError(
                f"{len(names)} names for values of shape {values.shape}", source=SOURCE, field="names"
            )
        self.values = values
        self.names = names
        self.groups = dict(groups) if groups is not None else {}

    @property
    def n_features(self) -> int:
        """Number of features (length of the last axis)."""
        return len(self.names)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the leading batch axes."""
        return self.values.shape[:-1]

    @property
    def finite(self) -> np.ndarray:
        """Boolean mask shaped like the batch: True where every feature is finite."""
        return np.isfinite(self.values).all(axis=-1)

    def index(self, name: str) -> int:
        """Column of the feature called ``name``."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no feature {name!r}; groups are {list(self.groups)}") from None

    def __getitem__(self, key):
        """A feature's values by name (shape of the batch), or a batch slice as a FeatureVector."""
        if isinstance(key, str):
            if key in self.groups and key not in self.names:
                return self.group(key).values
            return self.values[..., self.index(key)]
        if isinstance(key, tuple):
            key = key + (slice(None),)
        else:
            key = (key, slice(None))
        if not self.batch_shape:
            raise IndexError("a FeatureVector without batch axes can only be indexed by feature name")
        return FeatureVector(self.values[key], self.names, self.groups)

    def group(self, name: str) -> "FeatureVector":
        """The columns of one feature set as a FeatureVector."""
        if name not in self.groups:
            raise KeyError(f"no feature set {name!r}; groups are {list(self.groups)}")
        sl = self.groups[name]
        return FeatureVector(self.values[..., sl], self.names[sl], {name: slice(0, sl.stop - sl.start)})

    def to_dict(self) -> dict[str, np.ndarray]:
        """``{name: values[..., i]}`` for every feature (values shaped like the batch)."""
        return {n: self.values[..., i] for i, n in enumerate(self.names)}

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        groups = ", ".join(f"{k}: {v.stop - v.start}" for k, v in self.groups.items())
        return f"FeatureVector(batch_shape={self.batch_shape}, n_features={self.n_features}, groups={{{groups}}})"


# --------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What a feature set function sees besides the signal chunk."""

    n_times: int
    n_channels: int
    labels: tuple[str, ...]
    fs_hz: float | None
    options: dict
    used: set = field(default_factory=set)
    cache: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    name_cache: dict = field(default_factory=dict)

    def opt(self, name: str, default=None):
        """An option's value: the user's, else an enclosing set's default, else ``default``."""
        self.used.add(name)
        if name in self.options:
            return self.options[name]
        return self.defaults.get(name, default)

    def rate(self, what: str) -> float:
        if self.fs_hz is None:
            raise InputError(f"feature set {what!r} needs the sampling rate: pass fs_hz= or dt_ms=", source=SOURCE, field="fs_hz")
        return self.fs_hz

    @property
    def dt_ms(self) -> float:
        return 1000.0 / self.fs_hz

    def psd(self, x, what: str, default_nperseg: int | None = None):
        nperseg = self.opt("nperseg", default_nperseg)
        if nperseg is None:
            nperseg = min(256, self.n_times)
        key = ("psd", int(nperseg))
        if key not in self.cache:
            self.cache[key] = _spec.psd(x, self.rate(what), nperseg=nperseg)
        return self.cache[key]

    def ch(self, i: int) -> str:
        return self.labels[i]


FeatureFunc = Callable[[np.ndarray, _Context], "tuple[np.ndarray, list[str]]"]


@dataclass(frozen=True)
class FeatureSet:
    """A named, documented recipe from recordings to features.

    Attributes
    ----------
    name : str
        Name used in :func:`compute`.
    description : str
        One line: what the features are, and their unit.
    func : callable
        ``func(x, ctx) -> (values, names)`` with ``x`` shaped ``(n, T, C)`` and
        ``values`` ``(n, n_features)``; names must not depend on ``n``.
    options : dict of str to str
        Option name to a short description (with its default).
    includes : tuple of str
        Other sets a composite set is made of (for duplicate detection).
    """

    name: str
    description: str
    func: FeatureFunc
    options: Mapping[str, str] = field(default_factory=dict)
    includes: tuple[str, ...] = ()


_REGISTRY: dict[str, FeatureSet] = {}

# options every set accepts
_COMMON_OPTIONS = {"labels", "chunk_size", "on_nonfinite"}


def register(name: str, description: str, *, options: Mapping[str, str] | None = None, includes=(), overwrite: bool = False):
    """Register a feature set under ``name`` (decorator).

    Parameters
    ----------
    name : str
        Name for :func:`compute` and :func:`available`.
    description : str
        One line: what the features are and their unit.
    options : dict of str to str, optional
        Options the set reads through ``ctx.opt(name, default)``, with descriptions.
    includes : tuple of str
        Sets this one is composed of (requesting both is refused).
    overwrite : bool, default False
        Replace an existing set of that name.

    Returns
    -------
    callable
        Decorator taking ``func(x, ctx) -> (values (n, F), names list)``.
    """

    def deco(func: FeatureFunc) -> FeatureFunc:
        if name in _REGISTRY and not overwrite:
            raise InputError(f"a feature set {name!r} is already registered", source=SOURCE, field="name")
        _REGISTRY[name] = FeatureSet(name, description, func, dict(options or {}), tuple(includes))
        return func

    return deco


def available() -> dict[str, str]:
    """Names of the registered feature sets with a one-line description each.

    Returns
    -------
    dict of str to str
        ``{name: description}`` in registration order.
    """
    return {k: v.description for k, v in _REGISTRY.items()}


def get_feature_set(name: str) -> FeatureSet:
    """The :class:`FeatureSet` registered as ``name``.

    Parameters
    ----------
    name : str
        A registered feature set (see :func:`available`).

    Returns
    -------
    FeatureSet

    Raises
    ------
    InputError
        For an unknown name; the message lists the valid ones.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise InputError(
            f"unknown feature set {name!r}; available: {', '.join(_REGISTRY)}", source=SOURCE, field="names"
        ) from None


def describe(name: str) -> str:
    """Multi-line description of a feature set: what it computes and its options.

    Parameters
    ----------
    name : str
        A registered feature set.

    Returns
    -------
    str
    """
    fs = get_feature_set(name)
    lines = [f"{fs.name}: {fs.description}"]
    if fs.includes:
        lines.append(f"  made of: {', '.join(fs.includes)}")
    for k, v in fs.options.items():
        lines.append(f"  {k}: {v}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# compute
# --------------------------------------------------------------------------------------


def _unpack_data(data, fs_hz, dt_ms, labels, options):
    """Array, rate and labels from an array or a TimeSeries-like object."""
    if hasattr(data, "data") and hasattr(data, "time") and not isinstance(data, np.ndarray):
        arr = np.asarray(data.data)
        outputs = tuple(getattr(data, "outputs", ()) or ())
        output = options.pop("output", None)
        if outputs and arr.ndim >= 3 and arr.shape[-2] == len(outputs):
            if output is None:
                if len(outputs) != 1:
                    raise InputError(
                        f"the time series has outputs {outputs}; pick one with output=", source=SOURCE, field="output"
                    )
                output = outputs[0]
            if output not in outputs:
                raise InputError(f"no output {output!r}; outputs are {outputs}", source=SOURCE, field="output")
            arr = arr[..., outputs.index(output), :]
        elif output is not None:
            raise InputError("output= given but the data has no outputs axis", source=SOURCE, field="output")
        t = np.asarray(data.time, dtype=np.float64)
        if fs_hz is None and dt_ms is None and t.size > 1:
            dt_ms = float(t[1] - t[0])
        if labels is None and getattr(data, "labels", None) is not None and len(data.labels) == arr.shape[-1]:
            labels = list(data.labels)
        return arr, fs_hz, dt_ms, labels
    if "output" in options:
        raise InputError("output= is only for time-series objects with several outputs", source=SOURCE, field="output")
    return data, fs_hz, dt_ms, labels


def compute(
    data,
    names,
    *,
    fs_hz: float | None = None,
    dt_ms: float | None = None,
    labels=None,
    chunk_size: int | None = None,
    on_nonfinite: str = "warn",
    n_threads: int | None = None,
    **options,
) -> FeatureVector:
    """Compute named feature sets for a batch of recordings.

    The batch is processed in chunks of ``chunk_size`` recordings (bounded
    memory); every chunk goes through the vectorised / compiled feature code.

    Parameters
    ----------
    data : array_like, shape (..., n_times, n_channels), or a TimeSeries
        Recordings (simulated or empirical), time in samples. A
        :class:`~braintwin.simulate.TimeSeries`-like object (``.data``,
        ``.time`` in ms, ``.labels``, ``.outputs``) supplies its sampling
        interval and labels; with several outputs pick one with ``output=``.
    names : str or sequence of str
        Feature sets, see :func:`available`.
    fs_hz : float, optional
        Sampling rate in Hz (needed by spectral and time-based sets).
    dt_ms : float, optional
        Sampling interval in ms, instead of ``fs_hz``.
    labels : sequence of str, optional
        Channel labels for feature names (default ``"ch0"``, ``"ch1"``, ...).
    chunk_size : int, optional
        Recordings per chunk; default keeps a chunk near 500,000 samples
        (4 MB: temporaries stay small enough to be reused, not freshly mapped).
    on_nonfinite : {"warn", "raise", "ignore"}, default "warn"
        What to do when some recordings have NaN/inf features (e.g. diverged
        simulations, constant channels): warn with a count
        (:class:`~braintwin.errors.BraintwinWarning`), raise InputError, or
        nothing. :attr:`FeatureVector.finite` marks the usable recordings.
    n_threads : int, optional
        Threads working on chunks; default ``numba.get_num_threads()`` (set
        ``NUMBA_NUM_THREADS`` to limit it). Results do not depend on it.
    **options
        Options of the requested sets (see :func:`describe`); an option no
        requested set uses is an error.

    Returns
    -------
    FeatureVector
        ``values`` shaped ``(..., n_features)`` and one name per feature.

    Examples
    --------
    >>> import numpy as np, braintwin as bt
    >>> x = np.random.default_rng(0).standard_normal((8, 500, 4))
    >>> fv = bt.features.compute(x, ["fc", "psd_peak"], fs_hz=100.0)
    >>> fv.values.shape, fv.names[:2]
    ((8, 10), ['fc[ch0,ch1]', 'fc[ch0,ch2]'])
    """
    if isinstance(names, str):
        names = [names]
    sets = _requested_sets(names)
    if on_nonfinite not in ("warn", "raise", "ignore"):
        raise InputError(f"expected 'warn', 'raise' or 'ignore', got {on_nonfinite!r}", source=SOURCE, field="on_nonfinite")
    options = dict(options)
    flat, batch, labels, fs = _signal(data, fs_hz, dt_ms, labels, options)
    n_items, n_times, n_ch = flat.shape
    if chunk_size is None:
        chunk_size = max(1, int(500_000 // max(1, n_times * n_ch)))
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise InputError(f"must be >= 1, got {chunk_size}", source=SOURCE, field="chunk_size")
    if n_items == 0:
        raise InputError(f"empty batch (shape {batch + (n_times, n_ch)})", source=SOURCE, field="data")
    n_workers = _n_workers(n_threads)
    run_chunk = _chunk_runner(flat, sets, chunk_size, labels, fs, options)
    # the first chunk in this thread: fixes the names, checks the options, fails early
    block, set_names, used = run_chunk(0)
    unknown = set(options) - used
    if unknown:
        valid = sorted(set().union(*(s.options for s in sets)))
        raise InputError(
            f"option(s) {sorted(unknown)} not used by {names}; their options are {valid}", source=SOURCE, field="options"
        )
    all_names: list[str] = []
    groups: dict[str, slice] = {}
    for s, nm in zip(sets, set_names):
        groups[s.name] = slice(len(all_names), len(all_names) + len(nm))
        all_names.extend(nm)
    out = np.empty((n_items, block.shape[1]))
    out[: block.shape[0]] = block
    _fill_chunks(out, run_chunk, chunk_size, n_workers)
    fv = FeatureVector(out.reshape(batch + (out.shape[1],)), all_names, groups)
    if on_nonfinite != "ignore":
        _report_nonfinite(fv, out, all_names, on_nonfinite)
    return fv


def _requested_sets(names) -> list[FeatureSet]:
    """The requested sets; a set asked for twice (directly or through a composite set) is an error."""
    if not names:
        raise InputError(f"no feature sets requested; available: {', '.join(_REGISTRY)}", source=SOURCE, field="names")
    sets = [get_feature_set(n) for n in names]
    seen: dict[str, str] = {}
    for s in sets:
        for part in (s.name,) + s.includes:
            if part in seen:
                raise InputError(
                    f"feature set {part!r} requested twice (by {seen[part]!r} and {s.name!r})", source=SOURCE, field="names"
                )
            seen[part] = s.name
    return sets


def _signal(data, fs_hz, dt_ms, labels, options):
    """Recordings as ``(n_items, n_times, n_channels)``, the batch shape, channel labels and the sampling rate."""
    arr, fs_hz, dt_ms, labels = _unpack_data(data, fs_hz, dt_ms, labels, options)
    x = np.asarray(arr)
    x = as_signal(x, "data") if not (x.dtype in (np.float32, np.float64) and x.ndim >= 2) else x
    fs = sampling_rate(fs_hz, dt_ms, required=False)
    batch = x.shape[:-2]
    n_times, n_ch = x.shape[-2:]
    if labels is None:
        labels = tuple(f"ch{i}" for i in range(n_ch))
    else:
        labels = tuple(str(lab) for lab in labels)
        if len(labels) != n_ch:
            raise InputError(f"{len(labels)} labels for {n_ch} channels", source=SOURCE, field="labels")
    n_items = int(np.prod(batch, dtype=np.int64)) if batch else 1
    return x.reshape((n_items, n_times, n_ch)), batch, labels, fs


def _chunk_runner(flat, sets, chunk_size: int, labels, fs, options):
    """``run_chunk(start)``: every set on recordings ``start .. start + chunk_size``; values, names, options used."""
    n_times, n_ch = flat.shape[1:]
    name_cache: dict = {}

    def run_chunk(start: int):
        chunk = np.ascontiguousarray(flat[start : start + chunk_size], dtype=np.float64)
        cache: dict = {}  # shared by the sets of one chunk (e.g. one Welch PSD for several spectral sets)
        pieces, set_names, used = [], [], set()
        for s in sets:
            ctx = _Context(n_times, n_ch, labels, fs, options, cache=cache, name_cache=name_cache)
            vals, nm = s.func(chunk, ctx)
            used |= ctx.used
            vals = np.asarray(vals, dtype=np.float64).reshape(chunk.shape[0], -1)
            if vals.shape[1] != len(nm):
                raise RuntimeError(f"feature set {s.name!r} returned {vals.shape[1]} values but {len(nm)} names")
            pieces.append(vals)
            set_names.append(nm)
        return np.concatenate(pieces, axis=1), set_names, used

    return run_chunk


def _fill_chunks(out: np.ndarray, run_chunk, chunk_size: int, n_workers: int) -> None:
    """Every chunk after the first into ``out``: on a thread pool with serial kernels, or serially with parallel ones."""
    starts = list(range(chunk_size, out.shape[0], chunk_size))

    def fill(start: int) -> None:
        b = run_chunk(start)[0]
        out[start : start + b.shape[0]] = b

    if n_workers > 1 and len(starts) >= 2 * n_workers:
        # one parallel region for the whole batch: chunks on a thread pool, serial GIL-free kernels inside
        def fill_serial(start: int) -> None:
            with serial_kernels():
                fill(start)

        with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="braintwin-features") as pool:
            for fut in [pool.submit(fill_serial, st) for st in starts]:
                fut.result()
    else:
        for st in starts:  # few chunks: each kernel call is parallel instead
            fill(st)


def _report_nonfinite(fv: FeatureVector, out: np.ndarray, all_names: list[str], on_nonfinite: str) -> None:
    """Warn (at the caller of :func:`compute`) or raise when some recordings have non-finite features."""
    n_bad = int(np.count_nonzero(~fv.finite))
    if not n_bad:
        return
    cols = np.flatnonzero(~np.isfinite(out).all(axis=0))
    first = [all_names[c] for c in cols[:3]]
    msg = (
        f"{n_bad} of {out.shape[0]} recordings have non-finite features "
        f"({len(cols)} columns, e.g. {first}); FeatureVector.finite marks the usable ones"
    )
    if on_nonfinite == "raise":
        raise InputError(msg, source=SOURCE, field="data")
    warnings.warn(f"{SOURCE}: {msg}", BraintwinWarning, stacklevel=3)
