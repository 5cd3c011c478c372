"""The generic outcomes: evoked response, functional connectivity, spectrum.

``"evoked"`` (stimulation)
    The change of each region's activity (the first output), per draw: the
    root-mean-square difference between the intervened and the baseline run
    (same draw, same noise), over the window after ``transient`` ms.
``"fc"`` (resting state, lesions, ageing)
    Functional connectivity (Pearson correlation of the first output after
    ``transient``) in both runs; the FC-to-FC similarity and the RMS change.
``"spectrum"`` (MEG/EEG-like slowing)
    Welch spectrum of the region-averaged first output; the peak frequency in
    ``[fmin, fmax]`` Hz (default 2-45 Hz, where M/EEG rhythms such as alpha are
    read) and its shift.

Measured on the valid draws only (a diverged run is NaN after the divergence).
"""

from __future__ import annotations

import warnings

import numpy as np

from .outcomes import Outcome, interval, register

_TRANSIENT = {"transient": "ms ignored at the start of the window (0)"}


@register("evoked", "change of each region's activity (RMS difference to the baseline)", options=_TRANSIENT,
          defaults={"transient": 0.0})
class Evoked(Outcome):
    """Response to stimulation: RMS difference per region between the two runs of each draw."""

    smaller_is_better = False
    caption = ("Left: how much each region's activity changes (bars: mean; whiskers: 90% of versions; red: stimulated). "
               "Right: average activity of the stimulated region and of the least affected region.")

    def measure(self, runs):
        xb, xt = runs.traces()
        resp = np.sqrt(np.mean((xt - xb) ** 2, axis=1))
        resp[:, sorted(runs.treated.removed)] = np.nan
        extra = {}
        if runs.valid.any():
            ts = runs.times[runs.times >= runs.times[0] + float(runs.options["transient"])]
            extra["mean_traces"] = (ts, np.mean(xb, axis=0), np.mean(xt, axis=0))
        return ({"response": np.zeros_like(resp), "activity": np.std(xb, axis=1)},
                {"response": resp, "activity": np.std(xt, axis=1)}, extra)

    def metrics(self, p):
        r = p.treated["response"]
        mean = np.nanmean(r, axis=0)
        order = np.argsort(-np.nan_to_num(mean, nan=-np.inf))
        out = {"response_mean": dict(zip(p.labels, np.round(mean, 6).tolist())),
               "response_interval": {p.labels[i]: interval(r[:, i], p.level) for i in range(len(p.labels))},
               "strongest": [p.labels[i] for i in order[:5]]}
        if p.stimulated:
            idx = [p.labels.index(l) for l in p.stimulated]
            out["target_response"] = float(np.nanmean(r[:, idx]))
            out["target_response_interval"] = interval(np.nanmean(r[:, idx], axis=1), p.level)
        out["mean_response"] = float(np.nanmean(r))
        out["mean_response_interval"] = interval(np.nanmean(r, axis=1), p.level)
        return out

    def primary(self, p, m):
        if "target_response" in m:
            return m["target_response"], m["target_response_interval"], "change of activity in the stimulated regions (RMS)"
        return m["mean_response"], m["mean_response_interval"], "mean change of activity over regions (RMS)"

    def summary(self, p, m):
        lines = [f"The activity changes most in {', '.join(m['strongest'][:3])}."]
        if "target_response" in m:
            lo, hi = m["target_response_interval"]
            lines.append(f"In the stimulated region(s) the change is {m['target_response']:.3g} (90% of versions between {lo:.3g} "
                         f"and {hi:.3g}); averaged over all regions it is {m['mean_response']:.3g}.")
        return lines

    def plot(self, p, fig, ax1, ax2):
        r = p.treated["response"]
        mean = np.nanmean(r, axis=0)
        lo, hi = np.nanquantile(r, 0.05, axis=0), np.nanquantile(r, 0.95, axis=0)
        order = np.argsort(-np.nan_to_num(mean, nan=-np.inf))[:30]
        colors = ["tab:red" if p.labels[i] in p.stimulated else "tab:blue" for i in order]
        y = np.arange(len(order))
        ax1.barh(y, mean[order], color=colors, xerr=[mean[order] - lo[order], hi[order] - mean[order]], ecolor="0.3", capsize=2)
        ax1.set_yticks(y, [p.labels[i] for i in order], fontsize=7)
        ax1.invert_yaxis()
        ax1.set_xlabel("change of activity (RMS difference; bars: 90% of versions)")
        ax1.set_title("red: stimulated", fontsize=9)
        tr = p.extra.get("mean_traces")
        if tr is not None:
            t, base, treat = tr
            i = p.labels.index(p.stimulated[0]) if p.stimulated else int(order[0])
            j = int(order[-1])
            ax2.plot(t, base[:, i], color="0.6", lw=1, label=f"{p.labels[i]} before")
            ax2.plot(t, treat[:, i], color="tab:red", lw=1, label=f"{p.labels[i]} with intervention")
            ax2.plot(t, treat[:, j], color="tab:blue", lw=1, label=f"{p.labels[j]} with intervention")
            ax2.set_xlabel("time (ms)")
            ax2.set_ylabel(f"{p.settings.get('output', 'activity')} (mean over versions)")
            ax2.legend(fontsize=7)


def _fc_stats(f, iu, inter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {"mean_fc": np.nanmean(f[:, iu[0], iu[1]], axis=1),
                "inter_fc": np.nanmean(f[:, inter], axis=1) if inter.any() else np.full(len(f), np.nan)}


@register("fc", "functional connectivity: similarity to the baseline's and RMS change", options=_TRANSIENT,
          defaults={"transient": 0.0})
class FunctionalConnectivity(Outcome):
    """Pearson FC of the first output in both runs (regions kept by the intervention)."""

    caption = ("Left: how the correlation between regions' activity (functional connectivity) changes. Right: how similar "
               "the pattern stays to the baseline across versions.")

    def measure(self, runs):
        from ..features import fc, fc_corr, fc_distance

        xb, xt = runs.traces()
        keep = runs.treated.kept
        fb, ft = fc(xb[:, :, keep]), fc(xt[:, :, keep])
        hemi = np.asarray(runs.base.connectome.hemispheres, bool)[keep]
        inter = hemi[:, None] != hemi[None, :]
        iu = np.triu_indices(int(keep.sum()), 1)
        b, t = _fc_stats(fb, iu, inter), _fc_stats(ft, iu, inter)
        t["fc_similarity"], t["fc_change"] = fc_corr(fb, ft), fc_distance(fb, ft)
        b["fc_similarity"], b["fc_change"] = np.ones(len(fb)), np.zeros(len(fb))
        full_b = np.full((runs.base.n_regions,) * 2, np.nan)
        full_t = full_b.copy()
        if runs.valid.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a constant region has no correlation (NaN)
                full_b[np.ix_(keep, keep)] = np.nanmean(fb, axis=0)
                full_t[np.ix_(keep, keep)] = np.nanmean(ft, axis=0)
        return b, t, {"mean_fc": (full_b, full_t)}

    def metrics(self, p):
        out = {}
        for key in ("fc_similarity", "fc_change"):
            out[key] = float(np.nanmean(p.treated[key]))
            out[key + "_interval"] = interval(p.treated[key], p.level)
        for name, d in (("baseline", p.baseline), ("intervention", p.treated)):
            out[name] = {"mean_fc": float(np.nanmean(d["mean_fc"])), "mean_fc_interval": interval(d["mean_fc"], p.level),
                         "interhemispheric_fc": float(np.nanmean(d["inter_fc"]))}
        return out

    def primary(self, p, m):
        return m["fc_change"], m["fc_change_interval"], "change of functional connectivity (RMS)"

    def summary(self, p, m):
        lo, hi = m["fc_change_interval"]
        b, t = m["baseline"], m["intervention"]
        return [f"Functional connectivity changes by {m['fc_change']:.3f} on average (RMS of correlations; 90% between {lo:.3f} "
                f"and {hi:.3f}); the pattern stays {m['fc_similarity']:.2f} correlated with the baseline's.",
                f"Mean connectivity goes from {b['mean_fc']:.3f} to {t['mean_fc']:.3f}; "
                f"between hemispheres from {b['interhemispheric_fc']:.3f} to {t['interhemispheric_fc']:.3f}."]

    def plot(self, p, fig, ax1, ax2):
        fb, ft = p.extra["mean_fc"]
        d = ft - fb
        vmax = np.nanmax(np.abs(d)) or 1.0
        im = ax1.imshow(d, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
        fig.colorbar(im, ax=ax1, label="FC change (intervention - baseline)", shrink=0.8)
        ax1.set_title("change of functional connectivity (mean over versions)", fontsize=9)
        ax1.set_xlabel("region")
        ax1.set_ylabel("region")
        ax2.hist(p.treated["fc_similarity"], bins=20, color="tab:blue")
        ax2.set_xlabel("FC similarity to baseline (correlation)")
        ax2.set_ylabel("simulated versions")


@register("spectrum", "peak frequency of the region-averaged Welch spectrum and its shift (Hz)",
          options={**_TRANSIENT, "fmin": "lowest peak frequency, Hz (2)", "fmax": "highest peak frequency, Hz (45)",
                   "nperseg": "Welch segment length, samples (about 2 s)"},
          defaults={"transient": 0.0, "fmin": None, "fmax": None, "nperseg": None})
class Spectrum(Outcome):
    """Spectral slowing or speeding: the shift of the spectral peak."""

    caption = "Left: the frequency content of activity (shaded: 90% of versions). Right: the shift of the dominant frequency."

    def measure(self, runs):
        from ..features import peak_frequency, psd

        xb, xt = runs.traces()
        opts = runs.options
        period = float(np.median(np.diff(runs.times))) if len(runs.times) > 1 else 1.0
        keep = runs.treated.kept
        nper = opts["nperseg"] or min(xb.shape[1], max(64, int(round(2000.0 / period))))
        f, pb = psd(np.nan_to_num(xb[:, :, keep]), dt_ms=period, nperseg=nper)
        _, pt = psd(np.nan_to_num(xt[:, :, keep]), dt_ms=period, nperseg=nper)
        sb, st = pb.mean(axis=-1), pt.mean(axis=-1)  # region-averaged spectra (n, F)
        fmax = min(float(opts["fmax"]) if opts["fmax"] is not None else 45.0, float(f[-1]))
        fmin = min(float(opts["fmin"]) if opts["fmin"] is not None else 2.0, fmax)
        peak_b = peak_frequency(f, sb[..., None], fmin, fmax)[..., 0]
        peak_t = peak_frequency(f, st[..., None], fmin, fmax)[..., 0]
        return {"peak": peak_b, "shift": np.zeros_like(peak_b)}, {"peak": peak_t, "shift": peak_t - peak_b}, {"spectra": (f, sb, st)}

    def metrics(self, p):
        out = {name: {"peak_hz": float(np.nanmean(d["peak"])), "peak_interval": interval(d["peak"], p.level)}
               for name, d in (("baseline", p.baseline), ("intervention", p.treated))}
        out["peak_shift_hz"] = float(np.nanmean(p.treated["shift"]))
        out["peak_shift_interval"] = interval(p.treated["shift"], p.level)
        return out

    def primary(self, p, m):
        return m["peak_shift_hz"], m["peak_shift_interval"], "shift of the spectral peak (Hz)"

    def summary(self, p, m):
        lo, hi = m["peak_shift_interval"]
        return [f"The spectral peak moves from {m['baseline']['peak_hz']:.1f} Hz to {m['intervention']['peak_hz']:.1f} Hz "
                f"(shift {m['peak_shift_hz']:+.1f} Hz; 90% between {lo:+.1f} and {hi:+.1f})."]

    def baseline_row(self, p, m):
        return {"value": 0.0, "interval": (0.0, 0.0), "peak_hz": m["baseline"]["peak_hz"]}

    def rank_key(self, row):
        v = abs(row["value"])
        return (v if np.isfinite(v) else np.inf,)

    def plot(self, p, fig, ax1, ax2):
        f, sb, st = p.extra["spectra"]
        for s, c, lab in ((sb, "0.5", "no intervention"), (st, "tab:blue", "with intervention")):
            ax1.semilogy(f, np.nanmean(s, axis=0), color=c, label=lab)
            ax1.fill_between(f, np.nanquantile(s, 0.05, axis=0), np.nanquantile(s, 0.95, axis=0), color=c, alpha=0.2)
        ax1.set_xlabel("frequency (Hz)")
        ax1.set_ylabel("power (region average)")
        ax1.legend(fontsize=8)
        ax2.hist(p.treated["shift"], bins=20, color="tab:blue")
        ax2.axvline(0, color="k", lw=0.8)
        ax2.set_xlabel("peak frequency shift (Hz)")
        ax2.set_ylabel("simulated versions")
