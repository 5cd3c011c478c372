"""The resting-state simulator: MPR observed through BOLD, preprocessed like a person's recording.

Simulated and empirical BOLD go through the same steps (:func:`preprocess_bold`:
linear detrend, z-score per region) before the same features (FC upper triangle
and FCD statistics), so nothing in the fit assumes synthetic data: real BOLD
has drifts and unequal region variances, which this removes from both sides.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.signal import detrend

from ...errors import InputError
from ...features import compute, fc_summaries
from ...features.connectivity import FC_SUMMARIES
from ...infer.sbi import NetworkSimulator
from ...infer.sbi.simulators import DIVERGED, OK

__all__ = ["RestSimulator", "preprocess_bold", "fcd_window_for", "REST_FEATURES", "REST_FEATURES_FC"]

#: Four FC summaries (:func:`braintwin.features.fc_summaries`: mean FC within and between
#: hemispheres, SC-FC r, FC spread) and the FCD distribution statistics.  A flow conditioned on
#: the 2,850 FC entries of tvb76 or on their principal components alone gave posteriors wider
#: than the prior (136 simulations, 10 components: shrinkage < 0, the truth outside; again
#: 2026-12-04: G [0, 0.006], nsig unbounded); these summaries covered it.
REST_FEATURES = ("fc_summary", "fcd_stats")

#: The same plus the FC upper triangle (``fc[i-j]``, 2,850 entries on tvb76) after them: the
#: whole FC pattern, for an estimator that reduces it (``NPE(n_components=10,
#: regression_summaries=1)``, the fit's default, see :func:`~braintwin.workflows.resting.fit_rest`).
#: Why: the person's FC is sharply peaked in (G, eta) and the summaries are noisy at fixed
#: parameters, while the whole FC pattern is reproducible; its principal components through a
#: linear regression summary put eta's posterior median at -4.86 (truth -4.8) where the
#: summaries put it at -5.44 (``benchmarks/rest_fc_features_ab.py``).  ~23 kB per simulation
#: in a campaign file (2.6 MB for 100 at 200 volumes).
REST_FEATURES_FC = REST_FEATURES + ("fc",)


def preprocess_bold(y: np.ndarray) -> np.ndarray:
    """Linear detrend and z-score of every region, over time (axis -2).

    Parameters
    ----------
    y : array (..., n_times, n_regions)
        BOLD, any units.

    Returns
    -------
    array, same shape
        Zero-mean, unit-variance regions (a constant region stays all zero).

    Example
    -------
    >>> z = preprocess_bold(np.arange(10.0)[:, None] + np.random.default_rng(0).normal(size=(10, 3)))
    >>> bool(np.allclose(z.std(axis=0), 1.0))
    True
    """
    d = detrend(np.asarray(y, dtype=np.float64), axis=-2, type="linear")
    sd = d.std(axis=-2, keepdims=True)
    return d / np.where(sd > 0, sd, 1.0)


def fcd_window_for(tr_ms: float, n_times: int, window_s: float = 15.0) -> tuple[int, int]:
    """FCD window and step in samples: about ``window_s`` s, step a tenth of it.

    Windows of 15-60 s are usual (Hansen et al. 2015 used 60 s at TR 2 s); short
    recordings need the short end so that enough non-overlapping window pairs remain.
    Raises InputError when the recording has fewer than three windows.
    """
    window = max(5, int(round(window_s * 1000.0 / float(tr_ms))))
    if n_times < 3 * window:
        raise InputError(f"{n_times} BOLD samples are too few for FCD windows of {window} samples "
                         f"({window * tr_ms / 1000:.1f} s at TR {tr_ms:g} ms): at least {3 * window} needed",
                         field="bold")
    return window, max(1, window // 10)


class RestSimulator:
    """MPR network + Balloon-Windkessel BOLD, summarised by FC and FCD statistics (a campaign simulator).

    Parameters
    ----------
    connectome : Connectome
        Normalised, zero diagonal.
    tr_ms : float
        Repetition time of the person's BOLD (ms).
    n_times : int
        Number of BOLD samples compared (the person's recording length).
    dt : float
        Integration step (ms).  0.05 ms is stable for MPR (tau = 1 ms) over most
        of the default prior, but not everywhere: on tvb76 (max 1) runs with G
        above ~0.14 blow up at 0.05 ms in about a third of the draws and are
        stable at 0.02 ms (measured).
    retry_dt : float or None
        Step (ms) at which a run that diverged at ``dt`` is integrated again
        (default 0.4 ``dt``); ``None`` keeps it flagged.  Dropping such runs
        would make the posterior that of "G given a stable integration", biased
        away from exactly the stronger couplings where FC is most structured;
        integrating every run at the fine step would cost 2.5 times more.
    skip_ms : float
        Transient left out (ms).  From a common initial state the network and the
        Balloon model settle in 15-20 s (measured on tvb76 subsets); a shorter skip
        leaves a transient shared by all regions, which inflates FC whatever G.
    model_params : mapping, optional
        Fixed MPR values (default tau 1, Delta 1, J 15).
    gradient : array (n_regions,), optional
        Regional term: with ``eta_gradient`` in the prior, region i gets
        ``eta + eta_gradient * gradient[i]`` (``gradient`` z-scored here).
    noise_weights : (2,) floats
        ``nsig`` of (r, V) = ``nsig * noise_weights`` (TVB's 0.01, 0.02 at nsig 0.01).
    features : tuple of str
        :data:`REST_FEATURES` (default) or :data:`REST_FEATURES_FC` (the FC upper
        triangle appended after them).
    speed, n_threads, engine
        As for :class:`~braintwin.infer.sbi.NetworkSimulator`.

    Example
    -------
    >>> sim = RestSimulator(conn, tr_ms=720.0, n_times=83)   # doctest: +SKIP
    >>> x, status = sim.simulate({"G": np.array([0.1]), "eta": np.array([-5.0]), "nsig": np.array([0.01])}, [1])  # doctest: +SKIP
    """

    def __init__(self, connectome, *, tr_ms: float, n_times: int, dt: float = 0.05, skip_ms: float = 20_000.0,
                 model_params: Mapping[str, Any] | None = None, gradient=None, noise_weights: Sequence[float] = (1.0, 2.0),
                 speed: float = 3.0, fcd_window: int | None = None, fcd_step: int | None = None,
                 n_threads: int | None = None, engine: str = "auto", retry_dt: float | None = -1.0,
                 features: Sequence[str] = REST_FEATURES):
        from ...models import MontbrioPazoRoxin

        if tuple(features) not in (REST_FEATURES, REST_FEATURES_FC):
            raise InputError(f"features must be {REST_FEATURES} or {REST_FEATURES_FC}, got {tuple(features)}",
                             field="features")
        self.features = tuple(features)

        self.tr_ms, self.n_times = float(tr_ms), int(n_times)
        w, s = fcd_window_for(self.tr_ms, self.n_times)
        self.fcd_window, self.fcd_step = int(fcd_window or w), int(fcd_step or s)
        params = {"tau": 1.0, "Delta": 1.0, "J": 15.0, **dict(model_params or {})}
        # one BOLD sample more than needed: the last n_times are kept, whatever the sample phase
        duration = float(skip_ms) + (self.n_times + 1) * self.tr_ms
        self.net = NetworkSimulator(connectome, MontbrioPazoRoxin(**params), ["fc"], monitor=f"bold:tr={self.tr_ms:g}",
                                    duration=duration, skip_ms=float(skip_ms), dt=float(dt), speed=float(speed),
                                    noise_weights=list(noise_weights), n_threads=n_threads, engine=engine)
        self.connectome = self.net.connectome
        self.retry_dt = 0.4 * float(dt) if retry_dt == -1.0 else (None if retry_dt is None else float(retry_dt))
        if self.retry_dt is not None and not 0 < self.retry_dt < float(dt):
            raise InputError(f"retry_dt must lie in (0, dt={dt}), got {retry_dt}", field="retry_dt")
        self.gradient = None if gradient is None else _zscore_gradient(gradient, self.connectome.n_regions)
        self.feature_names: list[str] = []

    def with_length(self, n_times: int) -> "RestSimulator":
        """The same simulator for recordings of ``n_times`` BOLD samples (same FCD window and step)."""
        if int(n_times) < 3 * self.fcd_window:
            raise InputError(f"{n_times} BOLD samples are too few for FCD windows of {self.fcd_window} samples: "
                             f"at least {3 * self.fcd_window} needed", field="bold")
        new = copy.copy(self)
        new.n_times = int(n_times)
        new.net = copy.copy(self.net)
        new.net.duration = self.net.skip_ms + (new.n_times + 1) * self.tr_ms
        new.feature_names = list(self.feature_names)
        return new

    def feature_options(self) -> dict:
        """Options of the feature sets (FCD window and step in samples)."""
        return {"fcd_window": self.fcd_window, "fcd_step": self.fcd_step}

    def config(self) -> dict:
        """The network simulator's configuration plus the preprocessing, FCD window and regional term."""
        cfg = self.net.config()
        cfg.update(kind="RestSimulator", features=list(self.features), feature_options=self.feature_options(),
                   preprocess="linear detrend, z-score per region", n_times=self.n_times, tr_ms=self.tr_ms,
                   retry_dt=self.retry_dt,
                   gradient=None if self.gradient is None else self.gradient.tolist())
        return cfg

    def check_prior(self, prior) -> None:
        """Like the network simulator's check; ``eta_gradient`` needs a ``gradient``."""
        names = [n for n in prior.names if n != "eta_gradient"]
        if "eta_gradient" in prior.names and self.gradient is None:
            raise InputError("the prior has eta_gradient but the simulator has no gradient", field="gradient")
        self.net.check_prior(_NamesOnly(names, prior.shapes))

    def features_of(self, bold: np.ndarray) -> np.ndarray:
        """Features ``(..., n_features)`` of BOLD ``(..., n_times, n_regions)`` after :func:`preprocess_bold`."""
        y = preprocess_bold(bold)
        fv = compute(y, ["fc", "fcd_stats"], dt_ms=self.tr_ms, labels=list(self.connectome.labels),
                     on_nonfinite="ignore", **self.feature_options())
        n_fc = self.connectome.n_regions * (self.connectome.n_regions - 1) // 2  # the fc columns come first
        summaries = fc_summaries(fv.values[..., :n_fc], self.connectome.weights, self.connectome.hemispheres)
        self.feature_names = [f"fc_summary[{k}]" for k in FC_SUMMARIES] + list(fv.names[n_fc:])
        parts = [summaries, np.asarray(fv.values[..., n_fc:], dtype=np.float64)]
        if "fc" in self.features:  # after the default columns, so they stay the first ones
            self.feature_names += list(fv.names[:n_fc])
            parts.append(np.asarray(fv.values[..., :n_fc], dtype=np.float64))
        return np.concatenate(parts, axis=-1)

    def _last(self, bold) -> np.ndarray:
        """The last ``n_times`` BOLD samples ``(n, n_times, R)`` of a batch (diverged runs: NaN after their stop)."""
        bold = np.asarray(bold, dtype=np.float64)
        if bold.shape[1] < self.n_times:
            raise InputError(f"the simulation gave {bold.shape[1]} BOLD samples for {self.n_times}", field="n_times")
        return bold[:, -self.n_times:, :].copy()

    def simulate(self, params: Mapping[str, np.ndarray], seeds, *, return_timeseries: bool = False):
        """Simulate, preprocess and summarise; returns ``(x, status)`` (plus BOLD ``(n, n_times, R)``)."""
        params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
        if "eta_gradient" in params:  # eta along the gradient: per-region eta for the engine
            params["eta"] = params["eta"][:, None] + params.pop("eta_gradient")[:, None] * self.gradient[None, :]
        _, status, bold = self.net.simulate(params, np.asarray(seeds), return_timeseries=True)
        bold = self._last(bold)
        again = np.flatnonzero(status == DIVERGED) if self.retry_dt else np.array([], int)
        if again.size:  # the same draws and seeds at the finer step (see retry_dt)
            fine = copy.copy(self.net)
            fine.dt = self.retry_dt
            _, s2, b2 = fine.simulate({k: v[again] for k, v in params.items()}, np.asarray(seeds)[again],
                                      return_timeseries=True)
            status = status.copy()
            status[again], bold[again] = s2, self._last(b2)
        ok = (status == OK) & np.all(np.isfinite(bold), axis=(1, 2))
        # with no usable row the names come from noise of the same shape (values stay NaN)
        xo = self.features_of(bold[ok] if ok.any() else np.random.default_rng(0).standard_normal(bold[:1].shape))
        x = np.full((len(bold), xo.shape[1]), np.nan)
        if ok.any():
            x[ok] = xo
        status = np.where(ok, status, np.maximum(status, 1)).astype(np.uint8)
        return (x, status, bold.astype(np.float32)) if return_timeseries else (x, status)


class _NamesOnly:
    """A prior's names and shapes (what NetworkSimulator.check_prior reads)."""

    def __init__(self, names, shapes):
        self.names, self.shapes = list(names), dict(shapes)


def _zscore_gradient(g, n_regions: int) -> np.ndarray:
    g = np.asarray(g, dtype=np.float64).ravel()
    if g.shape != (n_regions,) or not np.all(np.isfinite(g)) or g.std() == 0:
        raise InputError(f"the gradient needs {n_regions} finite, not all equal values", field="gradient")
    return (g - g.mean()) / g.std()
