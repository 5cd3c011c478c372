"""Features: summaries of recordings (simulated or empirical) for inference.

Every function takes signals shaped ``(..., n_times, n_channels)`` (any leading
batch axes; time in samples with an explicit ``fs_hz`` or ``dt_ms``) and is
vectorised over the batch with NumPy/SciPy or parallel numba kernels.

- functional connectivity: :func:`fc`, :func:`fc_triu`, :func:`fc_corr`, :func:`fc_distance`, :func:`fc_stats`
- FC dynamics: :func:`sliding_fc`, :func:`fcd`, :func:`fcd_triu`, :func:`fcd_stats`, :func:`ks_distance`
- spectra: :func:`psd`, :func:`peak_frequency`, :func:`band_power`, :func:`aperiodic_slope`
- moments: :func:`moments`, :func:`mean`, :func:`std`, :func:`skewness`, :func:`kurtosis`, :func:`amplitude_stats`
- seizures: :func:`seeg_log_power` (recorded SEEG), :func:`vep_observation` (2D Epileptor
  forward model), :func:`onset_times`, :func:`n_recruited`, :func:`propagation_order`,
  :func:`envelope_stats`
- named sets: :func:`compute` -> :class:`FeatureVector`, :func:`available`, :func:`describe`,
  :func:`register`

Example::

    import braintwin as bt
    fv = bt.features.compute(x, ["fc", "fcd_stats", "psd_peak"], fs_hz=250.0)
    fv.values, fv.names
"""

from __future__ import annotations

from .connectivity import (
    FC_SUMMARIES,
    fc,
    fc_corr,
    fc_distance,
    fc_stats,
    fc_summaries,
    fc_triu,
    fcd,
    fcd_stats,
    fcd_triu,
    ks_distance,
    sliding_fc,
    upper_triangle,
)
from .stats import amplitude_stats, kurtosis, mean, moments, skewness, std
from .registry import FeatureSet, FeatureVector, available, compute, describe, get_feature_set, register
from . import sets as _sets  # noqa: F401  (registers the built-in feature sets)
from .seizure import envelope_stats, n_recruited, onset_times, propagation_order, seeg_log_power, vep_observation
from .spectral import DEFAULT_BANDS, aperiodic_slope, band_power, peak_frequency, psd

__all__ = [
    # connectivity
    "fc",
    "fc_triu",
    "fc_corr",
    "fc_distance",
    "fc_stats",
    "upper_triangle",
    "sliding_fc",
    "fcd",
    "fcd_triu",
    "fcd_stats",
    "ks_distance",
    "fc_summaries",
    "FC_SUMMARIES",
    # spectra
    "DEFAULT_BANDS",
    "psd",
    "peak_frequency",
    "band_power",
    "aperiodic_slope",
    # moments
    "moments",
    "mean",
    "std",
    "skewness",
    "kurtosis",
    "amplitude_stats",
    # seizures
    "seeg_log_power",
    "vep_observation",
    "onset_times",
    "n_recruited",
    "propagation_order",
    "envelope_stats",
    # registry
    "FeatureVector",
    "FeatureSet",
    "compute",
    "available",
    "describe",
    "register",
    "get_feature_set",
]
