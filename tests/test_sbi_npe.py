"""NPE and calibration on a linear-Gaussian simulator with an analytic posterior.

Simulator: ``x = A w + sigma * eps`` with ``w = (a, log b)``, prior ``a ~ N(0, 1)``,
``b ~ LogNormal(0, 0.5)``.  The posterior of ``w`` is Gaussian with precision
``S0^-1 + A^T A / sigma^2``; the density of ``(a, b)`` adds ``-log b`` (the
Jacobian of ``b = exp(w_2)``), so the test also checks the flow's change of variables.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from braintwin.errors import InputError
from braintwin.infer import Posterior
from braintwin.infer.sbi.calibration import calibrate, posterior_predictive_check, sbc, tarp, z_score_shrinkage
from braintwin.infer.sbi import NPE, read_estimator, write_estimator
from braintwin.infer.sbi.priors import LogNormal, Normal, Prior

A = np.array([[1.0, 0.5], [-0.3, 1.0], [0.2, 0.2]])
SIGMA = 0.3
S0 = np.diag([1.0, 0.25])
NAMES = ["m1", "m2", "m3"]
CONFIG = {"connectome_sha256": "c" * 64, "gain_sha256": None, "feature_sets": ["lin"]}


def simulate(theta, rng):
    w = np.stack([theta[:, 0], np.log(theta[:, 1])], axis=1)
    return w @ A.T + SIGMA * rng.normal(size=(len(theta), A.shape[0]))


def analytic(x_obs):
    """Mean and covariance of w = (a, log b) given x_obs."""
    cov = np.linalg.inv(np.linalg.inv(S0) + A.T @ A / SIGMA**2)
    return cov @ (A.T @ x_obs / SIGMA**2), cov


class LinearSimulator:
    """The campaign simulator interface around :func:`simulate`."""

    feature_names = NAMES

    def simulate(self, params, seeds):
        theta = np.stack([params["a"], params["b"]], axis=1)
        return simulate(theta, np.random.default_rng(int(seeds[0]))), np.zeros(len(theta), np.uint8)


@pytest.fixture(scope="module")
def prior():
    return Prior({"a": Normal(0.0, 1.0), "b": LogNormal(0.0, 0.5)})


@pytest.fixture(scope="module")
def estimator(prior):
    theta = prior.sample(1500, 1)
    x = simulate(theta, np.random.default_rng(0))
    return NPE(prior).append_simulations(theta, x, feature_names=NAMES, config=CONFIG).train(seed=0)


def analytic_check(est, x_obs, mean_tol=0.3, sd_tol=0.25, lp_tol=0.35):
    mu, cov = analytic(x_obs)
    sd = np.sqrt(np.diag(cov))
    s = est.sample(x_obs, 4000, seed=1)
    w = np.stack([s[:, 0], np.log(s[:, 1])], axis=1)
    assert np.all(np.abs(w.mean(0) - mu) < mean_tol * sd), (w.mean(0), mu, sd)
    assert np.all(np.abs(w.std(0) / sd - 1) < sd_tol), (w.std(0), sd)
    # density in (a, b) units: the Gaussian of w minus log b (Jacobian of b = exp(w2))
    truth = multivariate_normal(mu, cov).logpdf(w) - np.log(s[:, 1])
    assert np.mean(np.abs(est.log_prob(s, x_obs) - truth)) < lp_tol


@pytest.mark.parametrize("x_obs", [[0.5, 0.2, 0.1], [-1.0, 0.5, 0.3]])
def test_npe_matches_analytic_posterior(estimator, x_obs):
    analytic_check(estimator, np.array(x_obs))


def test_joint_posterior_of_independent_observations_is_analytic(estimator, prior):
    """K = 4 observations of the same theta from the estimator of one: the analytic posterior of all four."""
    from braintwin.infer.sbi import joint_posterior

    rng = np.random.default_rng(5)
    theta = np.array([[0.3, 1.2]])
    xs = np.concatenate([simulate(theta, rng) for _ in range(4)])
    cov = np.linalg.inv(np.linalg.inv(S0) + 4 * A.T @ A / SIGMA**2)
    mu = cov @ (A.T @ xs.sum(0) / SIGMA**2)
    sd = np.sqrt(np.diag(cov))
    post = joint_posterior(estimator, xs, 3000, seed=2, feature_names=NAMES)
    w = np.stack([post.samples["a"], np.log(post.samples["b"])], axis=1)
    assert np.all(np.abs(w.mean(0) - mu) < 0.35 * sd), (w.mean(0), mu, sd)
    assert np.all(np.abs(w.std(0) / sd - 1) < 0.3), (w.std(0), sd)
    one = estimator.sample(xs[0], 3000, seed=2)
    assert np.all(w.std(0) < 0.7 * np.stack([one[:, 0], np.log(one[:, 1])], axis=1).std(0))  # 4 parts: ~half the sd
    info = post.info["joint"]
    assert info["parts"] == 4 and 200 < info["importance_ess"] <= info["proposals"]
    # one part is the plain posterior; parts that cannot come from one theta are flagged, not silently averaged
    assert "joint" not in joint_posterior(estimator, xs[:1], 100, feature_names=NAMES).info
    far = np.stack([xs[0], xs[0] + 12 * SIGMA])
    with pytest.warns(Warning, match="importance ESS"):
        joint_posterior(estimator, far, 500, seed=0, feature_names=NAMES)
    with pytest.raises(InputError, match="finite"):
        joint_posterior(estimator, np.full((2, 3), np.nan), 10)


def test_npe_sbc_and_tarp_pass(estimator, prior):
    theta = prior.sample(200, 7)
    x = simulate(theta, np.random.default_rng(3))
    cal = calibrate(estimator, theta, x, n_draws=100, seed=0)
    # a 2x over/underconfident posterior gives KS p ~ 1e-8 here (test_calibration_flags_...)
    assert min(cal["sbc"]["ks_p"]) > 1e-3
    assert cal["tarp"]["max_deviation"] < 0.15
    assert np.all(np.array(cal["zscore_shrinkage"]["shrinkage_median"]) > 0.7)
    json.dumps(cal)  # JSON-ready, goes into Posterior.diagnostics


def _analytic_draws(rng, n=300, n_draws=200, scale=1.0):
    """Held-out sims and draws from the exact posterior (w-space), sd scaled by ``scale``."""
    w = rng.multivariate_normal([0, 0], S0, size=n)
    x = w @ A.T + SIGMA * rng.normal(size=(n, 3))
    mu, cov = analytic(np.zeros(3))
    means = (x / SIGMA**2) @ A @ cov
    draws = means[:, None, :] + scale * rng.normal(size=(n, n_draws, 2)) @ np.linalg.cholesky(cov).T
    return w, draws, cov


def test_calibration_accepts_exact_posterior():
    w, draws, _ = _analytic_draws(np.random.default_rng(0))
    assert min(sbc(draws, w)["ks_p"]) > 1e-3  # exact posterior: p ~ U(0, 1)
    assert tarp(draws, w)["max_deviation"] < 0.05  # 10 references per simulation (the default)
    assert tarp(draws, w)["ks_p"] > 0.01
    zs = z_score_shrinkage(draws, w, np.sqrt(np.diag(S0)))
    assert np.all(np.array(zs["z_median"]) < 1.0)  # median |N(0,1)| = 0.674


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_calibration_flags_over_and_underconfidence(scale):
    w, draws, _ = _analytic_draws(np.random.default_rng(1), scale=scale)
    s = sbc(draws, w)
    assert not s["ok"] and s["ks_min_p"] < 1e-4
    assert tarp(draws, w)["max_deviation"] > 0.12
    assert tarp(draws, w)["ks_p"] < 1e-4


def test_tarp_references_average_out_their_noise():
    """Exact posteriors, 200 held-out simulations: one reference per simulation leaves the curve's
    maximum deviation at the Kolmogorov-Smirnov noise level (median ~0.055, up to 0.09 in 20
    replications); ten per simulation halve it (median ~0.026), while a posterior 30 % too
    narrow stays above 0.05 in every replication."""
    one, ten, over = [], [], []
    for k in range(20):
        w, draws, _ = _analytic_draws(np.random.default_rng(100 + k), n=200)
        one.append(tarp(draws, w, seed=k, n_references=1)["max_deviation"])
        ten.append(tarp(draws, w, seed=k)["max_deviation"])
        w, draws, _ = _analytic_draws(np.random.default_rng(200 + k), n=200, scale=0.7)
        over.append(tarp(draws, w, seed=k)["max_deviation"])
    assert np.median(one) > 0.03 and max(one) > 0.06  # noisy with one reference
    assert np.median(ten) < 0.035 and np.median(ten) < 0.7 * np.median(one)
    assert min(over) > 0.05
    with pytest.raises(InputError, match="n_references"):
        tarp(draws, w, n_references=0)


def test_sbc_ranks_are_counts_below_truth():
    draws = np.arange(10.0).reshape(1, 10, 1).repeat(2, axis=0)
    s = sbc(draws, np.array([[3.5], [-1.0]]))
    assert s["ranks"] == [[4], [0]]


def test_check_figures(estimator, prior):
    w, draws, _ = _analytic_draws(np.random.default_rng(2), n=50, n_draws=20)
    for check in (sbc(draws, w), tarp(draws, w), z_score_shrinkage(draws, w, 1.0)):
        assert len(check.plot().axes) >= 1


def test_posterior_predictive_check(estimator, prior):
    x_obs = np.array([0.5, 0.2, 0.1])
    post = estimator.posterior(x_obs, n=400, seed=0)
    ppc = posterior_predictive_check(LinearSimulator(), post, x_obs, n_sims=200)
    assert ppc["coverage"] == 1.0 and ppc["n_failed"] == 0
    # in w = (a, log b) the predictive is Gaussian: sd = sqrt(sigma^2 + diag(A C A^T))
    cov = analytic(x_obs)[1]
    assert np.allclose(ppc["sd"], np.sqrt(SIGMA**2 + np.diag(A @ cov @ A.T)), rtol=0.2)
    far = posterior_predictive_check(LinearSimulator(), post, x_obs + 5.0, n_sims=200)
    assert far["coverage"] == 0.0 and max(far["p"]) < 0.02
    assert len(far.plot().axes) == 1


def test_posterior_container(estimator, prior):
    post = estimator.posterior([0.5, 0.2, 0.1], n=300, seed=4, diagnostics={"calibration": {"ok": True}})
    assert isinstance(post, Posterior) and post.method == "npe"
    assert post.parameter_names == ("a", "b") and post.n_draws == 300
    assert np.all(post["b"] > 0)
    assert post.info["feature_names"] == NAMES and post.diagnostics["calibration"]["ok"] is True
    from braintwin.twin import Posterior as TwinPosterior

    assert TwinPosterior is Posterior


def test_seeds_reproduce(estimator):
    x_obs = [0.5, 0.2, 0.1]
    assert np.array_equal(estimator.sample(x_obs, 50, seed=3), estimator.sample(x_obs, 50, seed=3))
    assert not np.array_equal(estimator.sample(x_obs, 50, seed=3), estimator.sample(x_obs, 50, seed=4))


def test_estimator_round_trip(estimator, tmp_path):
    path = write_estimator(estimator, tmp_path / "lin.npe")
    back = read_estimator(path)
    theta = estimator.sample([0.5, 0.2, 0.1], 20, seed=0)
    assert np.array_equal(back.log_prob(theta, [0.5, 0.2, 0.1]), estimator.log_prob(theta, [0.5, 0.2, 0.1]))
    assert back.prior == estimator.prior and back.feature_names == NAMES and back.config == CONFIG
    assert np.array_equal(back.sample([0.5, 0.2, 0.1], 20, seed=0), theta)


def test_estimator_round_trip_keeps_the_column_order(estimator, tmp_path):
    """Parameters not in sorted order (here z, b): the file's sorted JSON must not permute the columns."""
    import dataclasses

    renamed = dataclasses.replace(estimator, prior=Prior({"z": Normal(0.0, 1.0), "b": LogNormal(0.0, 0.5)}))
    back = read_estimator(write_estimator(renamed, tmp_path / "zb.npe"))
    assert back.prior.labels == ["z", "b"]
    assert np.array_equal(back.sample([0.5, 0.2, 0.1], 20, seed=0), renamed.sample([0.5, 0.2, 0.1], 20, seed=0))


def test_log_prob_outside_support_is_minus_inf(estimator):
    assert estimator.log_prob([[0.0, -1.0]], [0.5, 0.2, 0.1])[0] == -np.inf


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"feature_names": ["m1", "m2", "zz"]}, "feature_names"),
        ({"feature_names": ["m2", "m1", "m3"]}, "feature_names"),
        ({"config": {"connectome_sha256": "d" * 64}}, "connectome_sha256"),
        ({"config": {"gain_sha256": "e" * 64}}, "gain_sha256"),
        ({"config": {"feature_sets": ["fc"]}}, "feature_sets"),
    ],
)
def test_refuses_other_features_or_configuration(estimator, kwargs, field):
    with pytest.raises(InputError) as e:
        estimator.sample([0.5, 0.2, 0.1], 10, **kwargs)
    assert e.value.field == field


@pytest.mark.parametrize(
    "x_obs, match",
    [([0.5, 0.2], "expected 3 features"), ([np.nan] * 3, "every feature"), ([0.5, np.inf, 0.1], "non-finite")],
)
def test_refuses_bad_observations(estimator, x_obs, match):
    with pytest.raises(InputError, match=match):
        estimator.posterior(x_obs, n=10)


def test_refuses_corrupt_or_truncated_file(estimator, tmp_path):
    good = write_estimator(estimator, tmp_path / "good.npe").read_bytes()
    (tmp_path / "cut.npe").write_bytes(good[: len(good) // 2])
    (tmp_path / "junk.npe").write_bytes(b"not a zip")
    with zipfile.ZipFile(tmp_path / "other.npe", "w") as zf:
        zf.writestr("metadata.json", json.dumps({"format": "something-else"}))
    for name, match in (("cut", "corrupt or truncated"), ("junk", "corrupt or truncated"),
                        ("other", "not a braintwin"), ("missing", "not found")):
        with pytest.raises(InputError, match=match) as e:
            read_estimator(tmp_path / f"{name}.npe")
        assert "\n" not in str(e.value)


def test_append_drops_unusable_rows_and_checks_shapes(prior):
    npe = NPE(prior)
    theta = np.array([[0.0, 1.0], [0.0, -1.0], [0.0, 1.0]])  # b < 0 is outside the prior
    npe.append_simulations(theta, np.array([[1.0, 2, 3], [1, 2, 3], [np.nan, 2, 3]]))
    assert npe.x.shape == (1, 3) and npe.counts == {"n_appended": 3, "n_dropped": 2}
    with pytest.raises(InputError, match="theta must be"):
        npe.append_simulations(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(InputError, match="features differ"):
        npe.append_simulations(theta, np.zeros((3, 4)))
    with pytest.raises(InputError, match="NPE needs at least 20"):
        npe.train()
    with pytest.raises(InputError, match="unknown flow"):
        NPE(prior, flow="made")
    camp = FakeCampaign(prior, n=30)
    assert NPE(prior).append_campaign(camp).counts["campaign_n_ok"] == 30
    with pytest.raises(InputError, match="another prior"):
        NPE(Prior({"a": Normal(0.0, 2.0), "b": LogNormal(0.0, 0.5)})).append_campaign(camp)


@pytest.mark.slow
@pytest.mark.parametrize("options", [{"flow": "nsf"}, {"ensemble": 3, "n_transforms": 3}])
def test_nsf_and_ensemble_match_analytic_posterior(prior, options):
    theta = prior.sample(1500, 11)
    x = simulate(theta, np.random.default_rng(12))
    est = NPE(prior, **options).append_simulations(theta, x, feature_names=NAMES).train(seed=1)
    analytic_check(est, np.array([0.5, 0.2, 0.1]), lp_tol=0.4)


@pytest.mark.slow
def test_tsnpe_narrows_to_the_observation(prior):
    theta = prior.sample(500, 21)
    x = simulate(theta, np.random.default_rng(22))
    x_obs = np.array([1.5, -0.5, 0.3])
    npe = NPE(prior, n_transforms=3).append_simulations(theta, x, feature_names=NAMES)
    est = npe.truncated_sequential(LinearSimulator(), x_obs, rounds=2, n_per_round=500, seed=0)
    assert est.truncated_for is not None and est.training["n_train"] > 1400
    analytic_check(est, x_obs, lp_tol=0.5)


# ------------------------------------------------------------------------- CLI
class FakeCampaign:
    """What ``read_campaign`` returns, for the linear simulator (the campaign module is built separately)."""

    def __init__(self, prior, n=300, config=CONFIG):
        self.prior, self.feature_names, self.config, self.path = prior, NAMES, dict(config), "camp.h5"
        self.theta = prior.sample(n, 5)
        self.x = simulate(self.theta, np.random.default_rng(6))

    def training_data(self):
        n = len(self.theta)
        return self.theta, self.x, {"n_total": n, "n_ok": n, "n_diverged": 0, "n_failed": 0, "n_nonfinite": 0,
                                    "n_pending": 0}


@pytest.fixture
def cli(prior, tmp_path, monkeypatch):
    import sys
    import types

    import typer
    from typer.testing import CliRunner

    from braintwin.cli.sbi_npe import register

    camps = {"camp.h5": FakeCampaign(prior)}
    fake = types.ModuleType("braintwin.infer.sbi.campaign")
    fake.read_campaign = lambda path: camps[Path(path).name]
    monkeypatch.setitem(sys.modules, "braintwin.infer.sbi.campaign", fake)
    fake_cfg = types.ModuleType("braintwin.infer.sbi.config")
    fake_cfg.simulator_from_dict = lambda sim, features, source=None: LinearSimulator()
    monkeypatch.setitem(sys.modules, "braintwin.infer.sbi.config", fake_cfg)
    (tmp_path / "run.toml").write_text('[campaign]\nout = "camp.h5"\n\n[npe]\nn_transforms = 1\nhidden = 8\n'
                                       'max_epochs = 3\nn_test = 60\nn_draws = 20\n')
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [*args], catch_exceptions=True), tmp_path, camps


def test_cli_train_diagnose_sample(cli, prior):
    invoke, d, _ = cli
    r = invoke("train", str(d / "run.toml"), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["n_train"] == 240 and out["n_test"] == 60 and (d / "camp.npe").is_file()
    r = invoke("diagnose", str(d / "run.toml"), "--json")
    assert r.exit_code == 0, r.output
    cal = json.loads((d / "camp" / "calibration.json").read_text())
    assert cal["sbc"]["n_sims"] == 60 and cal["sbc"]["n_draws"] == 20
    assert {p.name for p in (d / "camp").glob("*.png")} == {"sbc.png", "tarp.png", "zscore_shrinkage.png"}
    (d / "obs.json").write_text(json.dumps({"feature_names": NAMES, "x": [0.5, 0.2, 0.1], "config": CONFIG}))
    r = invoke("sample", str(d / "run.toml"), "--observed", str(d / "obs.json"), "--n", "100",
               "--calibration", str(d / "camp" / "calibration.json"), "--json")
    assert r.exit_code == 0, r.output
    from braintwin.infer.posterior import read_posterior

    post = read_posterior(d / "obs.posterior.h5")
    assert post.method == "npe" and post.n_draws == 100 and post.diagnostics["calibration"]["sbc"]["n_sims"] == 60
    r = invoke("sample", str(d / "run.toml"), "--observed", str(d / "obs.json"), "--ppc", "30", "--out",
               str(d / "p.h5"), "--json")
    assert r.exit_code == 0, r.output
    ppc = read_posterior(d / "p.h5").diagnostics["ppc"]
    assert ppc["n_sims"] == 30 and len(ppc["p"]) == 3 and (d / "p.ppc.png").is_file()


def test_cli_refusals_leave_files_alone(cli, prior):
    invoke, d, camps = cli
    assert invoke("train", str(d / "run.toml")).exit_code == 0
    before = (d / "camp.npe").read_bytes()
    (d / "obs.json").write_text(json.dumps({"feature_names": NAMES, "x": [None, None, None]}))
    r = invoke("sample", str(d / "run.toml"), "--observed", str(d / "obs.json"))
    assert isinstance(r.exception, InputError) and "every feature" in str(r.exception)
    (d / "obs.json").write_text(json.dumps({"feature_names": NAMES, "x": [1, 2, 3],
                                            "config": {"connectome_sha256": "f" * 64}}))
    r = invoke("sample", str(d / "run.toml"), "--observed", str(d / "obs.json"))
    assert isinstance(r.exception, InputError) and r.exception.field == "connectome_sha256"
    assert not (d / "obs.posterior.h5").exists()
    camps["camp.h5"] = FakeCampaign(prior, config={**CONFIG, "gain_sha256": "g" * 64})
    r = invoke("diagnose", str(d / "run.toml"))
    assert isinstance(r.exception, InputError) and r.exception.field == "gain_sha256"
    assert not (d / "camp").exists() and (d / "camp.npe").read_bytes() == before
    (d / "bad.toml").write_text("[npe]\nflws = 3\n")
    r = invoke("train", str(d / "bad.toml"))
    assert isinstance(r.exception, InputError) and r.exception.field == "npe.flws"


def test_pca_embedding_and_constant_feature(prior, tmp_path):
    # same flow settings and shapes as the CLI tests' training (240 rows, 3 conditioning inputs): one compilation
    theta = prior.sample(240, 31)
    x = simulate(theta, np.random.default_rng(32))
    x = np.column_stack([x, np.full(len(x), 7.0), x @ np.random.default_rng(33).normal(size=(3, 4))])  # rank 3 + constant
    est = NPE(prior, n_components=3, n_transforms=1, hidden=8).append_simulations(theta, x).train(seed=0, max_epochs=2)
    assert est.x_std[3] == 1.0  # the constant feature is centred, not divided by 0
    assert est.projection.shape == (8, 3) and np.allclose(est.projection.T @ est.projection, np.eye(3))
    assert np.allclose(est.projection[3], 0.0, atol=1e-12)  # and carries no weight
    back = read_estimator(write_estimator(est, tmp_path / "pca.npe"))
    t = est.sample(x[0], 5, seed=0)
    assert np.all(np.isfinite(t)) and np.array_equal(back.log_prob(t, x[0]), est.log_prob(t, x[0]))
    with pytest.raises(InputError, match="n_components"):
        NPE(prior, n_components=9).append_simulations(theta, x).train()


def test_rank_standardisation_is_monotone_invariant_and_survives_the_file(prior, tmp_path):
    from scipy.stats import norm

    from braintwin.infer.sbi.standardize import rank_gauss, training_quantiles

    rng = np.random.default_rng(5)
    x = np.column_stack([rng.normal(size=400), np.where(rng.random(400) < 0.9, 0.5, 4.3) + 0.01 * rng.normal(size=400),
                         np.full(400, 2.0)])  # normal, bimodal (a 90/10 mixture far apart), constant
    q = training_quantiles(x)
    z = rank_gauss(x, q)
    assert np.all(np.abs(z[:, :2].mean(0)) < 0.05) and np.all(np.abs(z[:, :2].std(0) - 1) < 0.05)
    assert np.all(z[:, 2] == 0.0)
    order = np.argsort(x[:, 1])
    assert np.all(np.diff(z[order, 1]) >= 0)  # monotone: ordering kept
    # the lower mode keeps ~90% of the normal scale, where a z-score leaves it ~1% of the range
    low = x[:, 1] < 2
    assert np.ptp(z[low, 1]) > 2.5 and np.ptp(((x[:, 1] - x[:, 1].mean()) / x[:, 1].std())[low]) < 0.1
    # a monotone change of units changes nothing; far outside the training range it clips
    np.testing.assert_allclose(rank_gauss(np.exp(x[:, :2]), training_quantiles(np.exp(x[:, :2]))), z[:, :2],
                               atol=0.02)  # up to the linear interpolation between training values
    assert rank_gauss(np.array([1e6, 1e6, 2.0]), q)[0] == pytest.approx(norm.ppf(1 - 0.5 / 400))

    theta = prior.sample(240, 31)
    xs = simulate(theta, np.random.default_rng(32))
    est = NPE(prior, standardize="rank", n_transforms=1, hidden=8).append_simulations(theta, xs).train(seed=0, max_epochs=2)
    assert est.settings["standardize"] == "rank" and est.x_quantiles.shape == (240, 3)
    back = read_estimator(write_estimator(est, tmp_path / "rank.npe"))
    np.testing.assert_array_equal(back.x_quantiles, est.x_quantiles)
    t = est.sample(xs[0], 5, seed=0)
    assert np.array_equal(back.log_prob(t, xs[0]), est.log_prob(t, xs[0]))
    with pytest.raises(InputError, match="standardize"):
        NPE(prior, standardize="minmax")


def test_posterior_file_round_trip_with_calibration(tmp_path):
    from braintwin.infer import read_posterior, write_posterior

    w, draws, _ = _analytic_draws(np.random.default_rng(5), n=40, n_draws=20)
    cal = {"sbc": sbc(draws, w), "tarp": tarp(draws, w), "ok": False}
    post = Posterior({"x0": np.random.default_rng(0).normal(size=(30, 2))}, method="npe",
                     labels={"x0": ["lA1", "rA1"]}, diagnostics={"calibration": cal})
    back = read_posterior(write_posterior(post, tmp_path / "p.h5"))
    assert back.equals(post) and back.diagnostics["calibration"]["sbc"]["ranks"] == cal["sbc"]["ranks"]
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"0" * 50)
    with pytest.raises(InputError, match="corrupt or unreadable"):
        read_posterior(tmp_path / "bad.h5")


def test_regression_summaries_match_analytic_posterior_among_noise_features(prior, tmp_path):
    """Fearnhead-Prangle summaries: 3 informative features + 12 pure-noise ones, conditioned on 2 summaries.

    The posterior mean of w is linear in x, so the summaries are sufficient here and the
    posterior must still be the analytic one; the file round trip keeps the fit.
    """
    rng = np.random.default_rng(31)
    theta = prior.sample(1500, 30)
    x = np.concatenate([simulate(theta, rng), rng.normal(size=(1500, 12))], axis=1)
    names = NAMES + [f"noise{i}" for i in range(12)]
    est = NPE(prior, regression_summaries=2).append_simulations(theta, x, feature_names=names).train(seed=0)
    assert est.summaries["coef"].shape == (15 + 15 * 16 // 2, 2)  # degree-2 monomials of 15 features
    x_obs = np.concatenate([[0.5, 0.2, 0.1], rng.normal(size=12)])
    mu, cov = analytic(x_obs[:3])
    s = est.sample(x_obs, 4000, seed=1)
    w = np.stack([s[:, 0], np.log(s[:, 1])], axis=1)
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(w.mean(0) - mu) < 0.3 * sd), (w.mean(0), mu)
    assert np.all(np.abs(w.std(0) / sd - 1) < 0.25), (w.std(0), sd)
    back = read_estimator(write_estimator(est, tmp_path / "summ.npe"))
    assert np.array_equal(back.log_prob(s[:20], x_obs), est.log_prob(s[:20], x_obs))


def test_regression_summaries_fit_known_coefficients():
    """Exact linear data: the summaries reproduce u (near-zero penalty chosen), cross-fitted or not."""
    from braintwin.infer.sbi.summaries import apply_summaries, fit_summaries

    rng = np.random.default_rng(0)
    z = rng.normal(size=(200, 4))
    u = z @ np.array([[1.0, 0.0], [0.5, -2.0], [0.0, 0.3], [0.0, 0.0]]) + 0.7
    fit, s_train = fit_summaries(z, u, degree=1)
    assert fit["alpha"] == 1e-5
    np.testing.assert_allclose(s_train, u, atol=1e-3)
    np.testing.assert_allclose(apply_summaries(z[:5], fit), u[:5], atol=1e-3)
    with pytest.raises(InputError, match="degree"):
        fit_summaries(z, u, degree=4)
    with pytest.raises(InputError, match="regression_summaries"):
        NPE(Prior({"a": Normal(0.0, 1.0)}), regression_summaries=0)


def test_cli_conditions_on_some_feature_sets(cli, prior):
    """A campaign with two feature sets; the estimator uses one (``--condition-on``), with rank scaling and
    regression summaries; diagnose, sample (an observation carrying both sets) and the PPC pick its columns."""
    import sys

    invoke, d, camps = cli
    camp = FakeCampaign(prior)
    noise = np.random.default_rng(7).normal(size=(len(camp.x), 2))
    camp.x = np.column_stack([camp.x, noise])
    camp.feature_names = [f"lin[{n}]" for n in NAMES] + ["junk[n1]", "junk[n2]"]
    camps["camp.h5"] = camp

    class FiveFeatures(LinearSimulator):
        feature_names = camp.feature_names

        def simulate(self, params, seeds):
            x, status = super().simulate(params, seeds)
            return np.column_stack([x, np.zeros((len(x), 2))]), status

    sys.modules["braintwin.infer.sbi.config"].simulator_from_dict = lambda sim, features, source=None: FiveFeatures()
    r = invoke("train", str(d / "run.toml"), "--condition-on", "lin", "--standardize", "rank", "--summaries", "1", "--json")
    assert r.exit_code == 0, r.output
    est = read_estimator(d / "camp.npe")
    assert est.feature_names == camp.feature_names[:3] and est.summaries["coef"].shape == (3, 2)
    assert est.x_quantiles is not None
    r = invoke("diagnose", str(d / "run.toml"), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads((d / "camp" / "calibration.json").read_text())["sbc"]["n_sims"] == 60
    (d / "obs.json").write_text(json.dumps({"feature_names": camp.feature_names, "x": [0.5, 0.2, 0.1, 9.0, 9.0]}))
    r = invoke("sample", str(d / "run.toml"), "--observed", str(d / "obs.json"), "--n", "50", "--ppc", "10", "--json")
    assert r.exit_code == 0, r.output
    from braintwin.infer.posterior import read_posterior

    post = read_posterior(d / "obs.posterior.h5")
    assert post.info["feature_names"] == camp.feature_names[:3] and post.info["x_obs"] == [0.5, 0.2, 0.1]
    assert len(post.diagnostics["ppc"]["p"]) == 3
    (d / "obs2.json").write_text(json.dumps({"feature_names": ["junk[n1]", "junk[n2]", "lin[m1]", "x[y]"],
                                             "x": [1, 2, 3, 4]}))
    r = invoke("sample", str(d / "run.toml"), "--observed", str(d / "obs2.json"))
    assert isinstance(r.exception, InputError) and "missing" in str(r.exception)
    r = invoke("train", str(d / "run.toml"), "--condition-on", "fc_stats")
    assert isinstance(r.exception, InputError) and r.exception.field == "npe.condition_on"


def test_cli_paths_toml_relative_to_it_flags_to_the_working_directory(tmp_path):
    from braintwin.cli.sbi_npe import npe_settings

    (tmp_path / "cfg").mkdir()
    toml = tmp_path / "cfg" / "run.toml"
    toml.write_text('[campaign]\nout = "c.h5"\n')
    s = npe_settings(toml)
    assert s["campaign"] == tmp_path / "cfg" / "c.h5" and s["estimator"] == tmp_path / "cfg" / "c.npe"
    toml.write_text('[campaign]\nout = "c.h5"\n\n[npe]\nestimator = "e/x.npe"\nout_dir = "cal"\n')
    s = npe_settings(toml)
    assert s["estimator"] == tmp_path / "cfg" / "e" / "x.npe" and s["out_dir"] == tmp_path / "cfg" / "cal"
    s = npe_settings(toml, estimator=Path("here.npe"), campaign=Path("mine.h5"))
    assert s["estimator"] == Path("here.npe") and s["campaign"] == Path("mine.h5")


def test_calibration_tarp_in_unbounded_space_survives_draws_on_the_edge():
    from braintwin.infer.sbi.calibration import _unbounded
    from braintwin.infer.sbi.priors import Uniform

    p = Prior({"G": Uniform(0.0, 0.25), "nsig": LogNormal(-4.6, 0.5)})
    v = np.array([[[0.25, 0.01], [0.1, 0.02], [0.0, 0.005]]])  # draws exactly on G's bounds
    u = _unbounded(p, v)
    assert np.all(np.isfinite(u)) and u.shape == v.shape
    assert u[0, 0, 0] == u[0, 1, 0] == u[0, 2, 0]  # both edges clipped to the only finite value
    np.testing.assert_allclose(u[0, :, 1], np.log([0.01, 0.02, 0.005]))  # a log-normal's log
