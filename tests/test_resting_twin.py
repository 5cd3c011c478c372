"""The resting-state twin (issue 15, items 1 and 5): files in, NPE posterior, predictive FC/FCD, visits, report."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.stats import ks_2samp

import braintwin as bt
from braintwin.cli import main
from braintwin.errors import BraintwinWarning, InputError
from braintwin.features.connectivity import fcd, fcd_triu
from braintwin.workflows import resting

TVB = bt.Connectome.builtin("tvb76")
SMALL = TVB.subset(list(range(6)))  # neighbouring right-hemisphere regions: strongly connected


def _write_bold(path, labels, n=70, seed=0):
    y = np.random.default_rng(seed).normal(size=(n, len(labels)))
    path.write_text("\t".join(labels) + "\n" + "\n".join("\t".join(f"{v:.5f}" for v in row) for row in y) + "\n")
    return y


# -- item 1: files in, labels matched ---------------------------------------------------------------------------

def test_cli_build_lists_mismatched_labels_one_line_exit_2(tmp_path, capsys):
    labels = list(TVB.labels)
    labels[3], labels[40] = "not-a-region", "also-missing"
    _write_bold(tmp_path / "bold.tsv", labels)
    (tmp_path / "rest.toml").write_text('bold = "bold.tsv"\nconnectome = "tvb76"\ntr_s = 0.72\nout = "t.h5"\n')
    assert main(["twin", "build", str(tmp_path / "rest.toml")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert TVB.labels[3] in err and TVB.labels[40] in err  # the connectome labels without a column are named


def test_cli_build_bad_setting_names_the_file_and_the_key(tmp_path, capsys):
    """A bad value of a fit setting (here segments) is one line naming the TOML file and the key, before any simulation."""
    _write_bold(tmp_path / "bold.tsv", list(TVB.labels))
    (tmp_path / "rest.toml").write_text('bold = "bold.tsv"\nconnectome = "tvb76"\ntr_s = 0.72\nsegments = "four"\n'
                                        'cache_dir = "cache"\n')
    assert main(["twin", "build", str(tmp_path / "rest.toml")]) == 2
    err = [ln for ln in capsys.readouterr().err.strip().splitlines() if "error" in ln]
    assert len(err) == 1 and "Traceback" not in err[0]
    assert "rest.toml" in err[0] and "segments" in err[0] and "'four'" in err[0]
    assert not (tmp_path / "cache").exists()  # refused before the campaign


def test_mapping_file_matches_and_reorders(tmp_path):
    file_labels = [f"R{i}" for i in range(SMALL.n_regions)][::-1]
    y = _write_bold(tmp_path / "bold.tsv", file_labels)
    (tmp_path / "map.tsv").write_text("".join(f"R{i}\t{lab}\n" for i, lab in enumerate(SMALL.labels)))
    bold = bt.observe.read_bold(tmp_path / "bold.tsv", tr_s=0.72)
    data, tr = resting.as_bold(bold, SMALL, mapping=tmp_path / "map.tsv")
    assert tr == pytest.approx(720.0)
    # connectome region i is file column R{i}, which sits at position n-1-i in the reversed file
    np.testing.assert_allclose(data, y[:, ::-1], atol=1e-5)


@pytest.mark.parametrize("edit, needle", [
    (lambda y: y.__setitem__((slice(None), 2), 1.0), "constant BOLD"),
    (lambda y: y.__setitem__((5, 1), np.nan), "non-finite"),
])
def test_bad_bold_refused(edit, needle):
    y = np.random.default_rng(1).normal(size=(70, SMALL.n_regions))
    edit(y)
    with pytest.raises(InputError, match=needle):
        resting.as_bold(y, SMALL, tr_ms=720.0)


@pytest.mark.parametrize("kw, needle", [({"refine_rounds": -1}, "refine_rounds"), ({"refine_rounds": 1.5}, "refine_rounds"),
                                         ({"refine_rounds": 1, "n_per_round": 0}, "n_per_round")])
def test_bad_refinement_settings_refused_before_any_simulation(tmp_path, kw, needle):
    y = np.random.default_rng(1).normal(size=(70, SMALL.n_regions))
    with pytest.raises(InputError, match=needle):
        resting.fit_rest(y, SMALL, tr_ms=720.0, cache_dir=tmp_path, progress=False, log=lambda m: None, **kw)
    assert not any(tmp_path.iterdir())  # nothing simulated, nothing written


def test_too_few_samples_for_fcd_window():
    with pytest.raises(InputError, match="too few for FCD windows"):
        resting.fcd_window_for(720.0, 40)  # 15 s windows = 21 samples: 63 needed


def test_monitors_accept_observer_specs_in_python():
    conn = SMALL.normalized("max").with_zero_diagonal()
    kw = dict(G=0.1, duration=3000.0, dt=0.05, noise=(0.01, 0.02), seed=3)
    a = bt.simulate(conn, "MontbrioPazoRoxin", monitors=["bold:tr=720"], **kw)
    b = bt.simulate(conn, "MontbrioPazoRoxin", monitors=[bt.observe.get_observer("bold:tr=720", conn)], **kw)
    assert list(a.monitors) == ["bold"] and a["bold"].data.shape[0] == 4  # 3 s at TR 720 ms
    np.testing.assert_array_equal(a["bold"].data, b["bold"].data)
    with pytest.raises(InputError, match="unknown monitor.*bold"):
        bt.simulate(conn, "MontbrioPazoRoxin", monitors=["blod:tr=720"], **kw)


def test_features_ignore_drift_and_region_scale():
    sim = resting.RestSimulator(SMALL.normalized("max").with_zero_diagonal(), tr_ms=720.0, n_times=80)
    y = np.random.default_rng(2).normal(size=(80, SMALL.n_regions))
    real = y * np.arange(1, 7) + 5.0 * np.linspace(0, 1, 80)[:, None] + 100.0  # scales, drift, offset
    np.testing.assert_allclose(sim.features_of(real), sim.features_of(y), atol=1e-10)


# -- the predictive check is computed from the right arrays ----------------------------------------------------

class _FakeSim:
    """Returns fixed BOLD for any parameters (the check's arithmetic alone)."""

    def __init__(self, bold, conn):
        self.bold, self.connectome, self.fcd_window, self.fcd_step = bold, conn, 10, 2

    def simulate(self, params, seeds, return_timeseries=False):
        n = len(seeds)
        return np.zeros((n, 1)), np.zeros(n, np.uint8), self.bold[:n]


def _fc(y):
    z = resting.preprocess_bold(y)
    return np.corrcoef(z.T)


def test_ppc_twin_fc_is_mean_fc_of_predictive_simulations():
    rng = np.random.default_rng(4)
    conn = SMALL.normalized("max").with_zero_diagonal()
    R, T = conn.n_regions, 60
    mix = rng.normal(size=(R, R))
    sims = rng.normal(size=(5, T, R)) @ mix  # correlated regions
    y = rng.normal(size=(T, R)) @ mix
    post = bt.Posterior({"G": rng.uniform(size=50)}, method="npe")
    out = resting.rest_ppc(_FakeSim(sims, conn), post, y, n_sims=5)
    fcs = np.stack([_fc(s) for s in sims])
    np.testing.assert_allclose(out["fc_twin"], fcs.mean(0), atol=1e-12)
    np.testing.assert_allclose(out["fc_emp"], _fc(y), atol=1e-12)
    iu = np.triu_indices(R, 1)
    assert out["fc_r_twin"] == pytest.approx(np.corrcoef(fcs.mean(0)[iu], _fc(y)[iu])[0, 1])
    np.testing.assert_allclose(out["fc_r_sims"], [np.corrcoef(f[iu], _fc(y)[iu])[0, 1] for f in fcs])
    assert out["fc_r_low"] <= out["fc_r_median"] <= out["fc_r_high"]
    assert out["sc_fc_r"] == pytest.approx(np.corrcoef(conn.weights[iu], _fc(y)[iu])[0, 1])
    emp = fcd_triu(fcd(resting.preprocess_bold(y), 10, 2), window=10, step=2)
    sim0 = fcd_triu(fcd(resting.preprocess_bold(sims[0]), 10, 2), window=10, step=2)
    assert out["fcd_ks_sims"][0] == pytest.approx(ks_2samp(sim0, emp).statistic)


# -- the report's section registry -------------------------------------------------------------------------------

def test_report_section_registry_order_and_errors():
    order = bt.report.sections()
    assert order.index("rest-fit") == order.index("posterior") + 1
    assert order.index("rest-visits") == order.index("rest-fit") + 1
    with pytest.raises(InputError, match="unknown report section"):
        bt.report.register_section("x", after="no-such-section")


# -- NPE on a small network, a second visit, the report (about a minute: the recovery and update) ------

@pytest.fixture(scope="module")
def small_twin(tmp_path_factory):
    d = tmp_path_factory.mktemp("rest")
    conn = SMALL.normalized("max").with_zero_diagonal()
    # a 6-region network has little in-strength: G reaches further than on tvb76 before regions synchronise
    truth = {"G": 1.0, "eta": -4.6, "nsig": 0.012}
    y = resting.synthetic_person(conn, n_times=70, seed=11, drift=1.0, **truth)
    fit = resting.fit_rest(y, conn, tr_ms=720.0, n_sims=200, n_ppc=6, prior=resting.default_prior(G_max=1.5),
                           cache_dir=d, progress=False, log=lambda m: None)
    twin = resting.twin_from_rest(fit, subject_id="sub-01")
    y2 = resting.synthetic_person(conn, n_times=70, seed=12, **truth)
    fit2 = twin.update(y2, n_ppc=4, cache_dir=d, log=lambda m: None)
    return d, truth, fit, fit2, twin


def test_npe_posterior_covers_true_G_and_is_narrower_than_prior(small_twin):
    _, truth, fit, _, _ = small_twin
    g = fit.posterior.samples["G"]
    lo, hi = np.quantile(g, [0.05, 0.95])
    assert lo <= truth["G"] <= hi
    assert hi - lo < 0.9 * 1.5  # the prior U(0, 1.5)'s 90% interval
    assert fit.ppc["fc_r_twin"] == pytest.approx(
        np.corrcoef(fit.ppc["fc_twin"][np.triu_indices(6, 1)], fit.ppc["fc_emp"][np.triu_indices(6, 1)])[0, 1])


def test_update_keeps_both_visits_and_report_shows_trajectories(small_twin):
    d, _, fit, fit2, twin = small_twin
    vs = resting.visits(twin)
    assert [v["visit"] for v in vs] == [1, 2]
    np.testing.assert_array_equal(vs[0]["samples"]["G"], fit.posterior.samples["G"])
    np.testing.assert_array_equal(vs[1]["samples"]["G"], fit2.posterior.samples["G"])
    assert twin.posterior is fit2.posterior and twin.history[-1]["what"].startswith("update 1")
    twin.save(d / "twin.h5")
    back = bt.Twin.load(d / "twin.h5")
    assert len(resting.visits(back)) == 2
    fig = resting.report.visits_figure(back)
    assert all(len(ax.lines[0].get_xdata()) == 2 for ax in fig.axes)
    html = bt.report.render_report(back, dpi=40)
    figs = re.findall(r'<figure id="([^"]+)"', html)
    assert {"fig-rest-fc", "fig-rest-fcd", "fig-rest-visits"} <= set(figs)
    assert "across 2 visits" in html


def test_segments_condition_on_every_part_with_the_estimator_of_one(small_twin):
    """segments=2: the fixture's estimator (70 samples) serves a 140-sample recording, both halves at once."""
    d, truth, fit, _, _ = small_twin
    conn = SMALL.normalized("max").with_zero_diagonal()
    y = resting.synthetic_person(conn, n_times=140, seed=21, drift=1.0, **truth)
    kw = dict(tr_ms=720.0, n_sims=200, prior=resting.default_prior(G_max=1.5), cache_dir=d, progress=False, log=lambda m: None)
    seg = resting.fit_rest(y, conn, n_ppc=4, segments=2, **kw)
    assert seg.timings["campaign"] < fit.timings["campaign"] + 5  # the fixture's campaign and estimator, reused
    info = seg.posterior.info
    assert info["rest"]["segments"] == 2 and info["rest"]["n_times"] == 140 and info["joint"]["parts"] == 2
    assert info["joint"]["importance_ess"] > 200
    assert seg.ppc["fc_emp"].shape == (6, 6) and len(seg.bold) == 140  # the check and the twin: the whole recording
    np.testing.assert_allclose(info["x_obs"][1], fit.simulator.features_of(y[70:]))
    lo, hi = np.quantile(seg.posterior.samples["G"], [0.05, 0.95])
    assert lo <= truth["G"] <= hi
    twin = resting.twin_from_rest(seg, subject_id="sub-02")
    f2 = twin.update(resting.synthetic_person(conn, n_times=140, seed=22, **truth), n_ppc=4, cache_dir=d, log=lambda m: None)
    assert f2.posterior.info["joint"]["parts"] == 2
    with pytest.raises(InputError, match="segments"):
        resting.fit_rest(y, conn, segments=2, refine_rounds=1, **kw)
    with pytest.raises(InputError, match="segments"):
        resting.fit_rest(y, conn, segments=0, **kw)
    with pytest.raises(InputError, match="segments"):
        resting.fit_rest(y, conn, segments="four", **kw)
    # "auto": one part per SEGMENT_VOLUMES volumes, never fewer than 1, 1 with TSNPE
    auto = resting.fit_rest(fit.bold, conn, n_ppc=4, segments="auto", **kw)  # the fixture's 70 samples: one part
    assert auto.posterior.info["rest"]["segments"] == 1 and "joint" not in auto.posterior.info
    L = resting.SEGMENT_VOLUMES
    assert [resting.auto_segments(n) for n in (70, 2 * L - 1, 2 * L, 833)] == [1, 1, 2, 833 // L]
    assert resting.auto_segments(833, refine_rounds=1) == 1


@pytest.mark.slow
def test_cli_update_with_bold_adds_a_visit(small_twin, tmp_path, capsys):
    d, truth, _, _, twin = small_twin
    twin.save(tmp_path / "t.h5")
    conn = SMALL.normalized("max").with_zero_diagonal()
    y3 = resting.synthetic_person(conn, n_times=70, seed=13, **truth)
    (tmp_path / "b.tsv").write_text("\t".join(conn.labels) + "\n" + "\n".join("\t".join(map(str, r)) for r in y3))
    assert main(["twin", "update", str(tmp_path / "t.h5"), "--bold", str(tmp_path / "b.tsv"), "--cache-dir", str(d)]) == 0
    assert [v["visit"] for v in resting.visits(bt.Twin.load(tmp_path / "t.h5"))] == [1, 2, 3]
    with pytest.raises(InputError, match="TR"):
        twin.copy().update(y3, tr_ms=1000.0, cache_dir=d)


def test_regional_gradient_term_sets_eta_per_region():
    conn = SMALL.normalized("max").with_zero_diagonal()
    g = np.arange(6.0)
    sim = resting.RestSimulator(conn, tr_ms=720.0, n_times=63, skip_ms=2000.0, gradient=g)
    base = {"G": np.array([0.3]), "eta": np.array([-4.8]), "nsig": np.array([0.01])}
    _, _, flat = sim.simulate({**base, "eta_gradient": np.array([0.0])}, [5], return_timeseries=True)
    _, _, plain = resting.RestSimulator(conn, tr_ms=720.0, n_times=63, skip_ms=2000.0).simulate(
        base, [5], return_timeseries=True)
    _, _, tilted = sim.simulate({**base, "eta_gradient": np.array([0.8])}, [5], return_timeseries=True)
    np.testing.assert_array_equal(flat, plain)  # no tilt: the global eta
    assert not np.allclose(tilted, plain)
    with pytest.raises(InputError, match="no gradient"):
        resting.RestSimulator(conn, tr_ms=720.0, n_times=63).check_prior(resting.default_prior(gradient=True))


def test_example_toml_uses_known_keys():
    import tomllib
    from pathlib import Path

    from braintwin.workflows.resting.build import REST_KEYS

    cfg = tomllib.loads((Path(__file__).parents[1] / "examples" / "rest_twin.toml").read_text())
    assert set(cfg) <= REST_KEYS and {"bold", "connectome"} <= set(cfg)


def test_config_prior_table_and_G_max():
    from braintwin.workflows.resting.build import _prior

    assert _prior({"G_max": 1.5}, False).dists["G"].high == pytest.approx(1.5)
    p = _prior({"prior": {"G": {"dist": "uniform", "low": 0.0, "high": 0.4},
                          "eta": {"dist": "uniform", "low": -6.0, "high": -4.0}}}, False)
    assert list(p.names) == ["G", "eta"]
    with pytest.raises(InputError, match="unknown parameter"):
        _prior({"prior": {"etta": {"dist": "uniform", "low": 0.0, "high": 1.0}}}, False)


def test_summary_features_are_the_fc_summaries_and_fcd_stats():
    conn = TVB.subset(["rA1", "rA2", "lA1", "lA2", "rV1", "lV1"]).normalized("max").with_zero_diagonal()
    sim = resting.RestSimulator(conn, tr_ms=720.0, n_times=80)
    y = np.random.default_rng(5).normal(size=(80, 6)) @ np.random.default_rng(6).normal(size=(6, 6))
    x = sim.features_of(y)
    fc = _fc(y)[np.triu_indices(6, 1)]
    np.testing.assert_allclose(x[:4], bt.features.fc_summaries(fc, conn.weights, conn.hemispheres), atol=1e-12)
    assert sim.feature_names[:4] == [f"fc_summary[{k}]" for k in bt.features.FC_SUMMARIES]
    assert sim.feature_names[4:] == [n for n in bt.features.compute(resting.preprocess_bold(y), ["fcd_stats"], dt_ms=720.0,
                                                                   **sim.feature_options()).names]


def test_fc_feature_option_appends_the_fc_upper_triangle_after_the_default_features():
    conn = TVB.subset(["rA1", "rA2", "lA1", "lA2", "rV1", "lV1"]).normalized("max").with_zero_diagonal()
    y = np.random.default_rng(5).normal(size=(80, 6)) @ np.random.default_rng(6).normal(size=(6, 6))
    base = resting.RestSimulator(conn, tr_ms=720.0, n_times=80)
    sim = resting.RestSimulator(conn, tr_ms=720.0, n_times=80, features=resting.REST_FEATURES_FC)
    x0, x = base.features_of(y), sim.features_of(y)
    assert x.shape == (x0.size + 15,)
    np.testing.assert_allclose(x[: x0.size], x0, atol=1e-12)  # the default columns first, unchanged
    np.testing.assert_allclose(x[x0.size:], _fc(y)[np.triu_indices(6, 1)], atol=1e-12)
    assert sim.feature_names[: x0.size] == base.feature_names and len(sim.feature_names) == x.size
    assert sim.config()["features"] == list(resting.REST_FEATURES_FC) != base.config()["features"]
    with pytest.raises(InputError, match="features"):
        resting.RestSimulator(conn, tr_ms=720.0, n_times=80, features=("fc",))


def test_a_run_that_diverges_is_integrated_again_at_the_finer_step(monkeypatch):
    conn = SMALL.normalized("max").with_zero_diagonal()
    sim = resting.RestSimulator(conn, tr_ms=720.0, n_times=63, skip_ms=1000.0)
    assert sim.retry_dt == pytest.approx(0.02) and sim.config()["retry_dt"] == pytest.approx(0.02)
    calls = []

    def fake(self, params, seeds, return_timeseries=False):
        calls.append((self.dt, np.asarray(seeds).tolist()))
        n = len(seeds)
        bold = np.random.default_rng(len(calls)).normal(size=(n, 64, 6))
        status = np.where((np.asarray(seeds) == 1) & (self.dt > 0.03), 1, 0).astype(np.uint8)  # seed 1 diverges at 0.05
        return np.zeros((n, 1)), status, bold

    monkeypatch.setattr(type(sim.net), "simulate", fake)
    x, status = sim.simulate({"G": np.array([0.1, 0.2, 0.3]), "eta": np.full(3, -5.0), "nsig": np.full(3, 0.01)}, [0, 1, 2])
    assert calls == [(0.05, [0, 1, 2]), (pytest.approx(0.02), [1])] and sim.net.dt == 0.05
    assert status.tolist() == [0, 0, 0] and np.all(np.isfinite(x))
    with pytest.raises(InputError, match="retry_dt"):
        resting.RestSimulator(conn, tr_ms=720.0, n_times=63, retry_dt=0.1)


def test_runs_that_diverge_at_both_steps_are_flagged_with_the_recording_shape():
    """A chunk whose every run diverges again at the finer step stops early: it is flagged, never mis-shaped."""
    conn = SMALL.normalized("max").with_zero_diagonal()
    sim = resting.RestSimulator(conn, tr_ms=720.0, n_times=63, skip_ms=1000.0, dt=0.5, n_threads=1)  # MPR blows up at 0.5 and 0.2
    x, status, bold = sim.simulate({"G": np.array([5.0, 50.0]), "eta": np.full(2, -4.6), "nsig": np.full(2, 0.01)},
                                   [1, 2], return_timeseries=True)
    assert status.tolist() == [1, 1] and bold.shape == (2, 63, 6) and np.isnan(bold).all()
    assert np.isnan(x).all() and x.shape == (2, len(sim.feature_names))
    ok = resting.RestSimulator(conn, tr_ms=720.0, n_times=63, skip_ms=1000.0, n_threads=1)
    x2, s2 = ok.simulate({"G": np.array([0.1]), "eta": np.array([-4.6]), "nsig": np.array([0.01])}, [1])
    assert s2.tolist() == [0] and x2.shape[1] == x.shape[1] and np.isfinite(x2).all()


@pytest.mark.slow
def test_refinement_round_gives_an_estimator_for_this_recording_only(small_twin):
    d, truth, fit, _, _ = small_twin
    conn = SMALL.normalized("max").with_zero_diagonal()
    # the fixture's campaign and estimator are reused from the cache; only the TSNPE round simulates
    ref = resting.fit_rest(fit.bold, conn, tr_ms=720.0, n_sims=200, n_ppc=4, prior=resting.default_prior(G_max=1.5),
                           cache_dir=d, refine_rounds=1, n_per_round=40, progress=False, log=lambda m: None)
    assert "refinement" in ref.timings
    np.testing.assert_allclose(ref.estimator.truncated_for, fit.simulator.features_of(fit.bold))
    lo, hi = np.quantile(ref.posterior.samples["G"], [0.05, 0.95])
    assert lo <= truth["G"] <= hi
    with pytest.warns(BraintwinWarning, match="refined"):  # valid for this recording's features only
        ref.estimator.posterior(fit.simulator.features_of(fit.bold) + 0.1, n=10)
