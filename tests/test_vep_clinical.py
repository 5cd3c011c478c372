"""Issue 17: the clinical-scale VEP patient, observation choices, the integration step rule, labels withheld when chains disagree."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from braintwin.errors import BraintwinWarning, InputError
from braintwin.workflows.vep import clinical
from braintwin.workflows.vep.fit import VEPFit, _integration
from braintwin.workflows.vep.io import observation_options
from braintwin.workflows.vep.labels import (UNDETERMINED, chain_disagreement, label_regions, label_summary, labels_to_info,
                                            refuse_labels)
from braintwin.workflows.vep.model import VEPPriors, VEPProblem, fast_rate, max_step, observe_sources, substeps


# ---------------------------------------------------------------------------
# the benchmark patient


@pytest.fixture(scope="module")
def patient():
    # reduced: 40 contacts, 10 time units (100 Euler-Maruyama steps), K as the benchmark
    return clinical.clinical_patient(n_contacts=40, duration=10.0, K=0.05, seed=3)


def test_patient_shapes_and_x0_per_label(patient):
    p = patient
    assert p.gain.shape == (40, 96) and p.observation.shape == (20, 40) and p.x.shape == (20, 96)
    np.testing.assert_allclose(p.times, 0.5 * np.arange(1, 21))
    labels = list(p.region_labels)
    assert sorted(p.ez) == sorted(clinical.DEFAULT_EZ) and sorted(p.pz) == sorted(clinical.DEFAULT_PZ)
    for r in clinical.DEFAULT_EZ:
        assert p.x0[labels.index(r)] == -1.6
    for r in clinical.DEFAULT_PZ:
        assert p.x0[labels.index(r)] == -2.06
    healthy = [i for i, l in enumerate(p.labels) if l == "healthy"]
    assert len(healthy) == 91 and np.all(p.x0[healthy] == -3.5)
    # subcortical regions are in the network; weights divided by their maximum
    assert {"TM-T_R", "BG-Pu_L", "RM-Amyg_R"} <= set(labels)
    assert p.connectome.weights.max() == 1.0 and np.all(np.diag(p.connectome.weights) == 0)


def test_gain_is_inverse_square_at_a_contact(patient):
    p = patient
    c, r = 7, list(p.region_labels).index("RM-HC_R")
    d = np.linalg.norm(p.contact_positions[c] - p.connectome.centres[r])
    assert p.gain[c, r] == pytest.approx(1.0 / max(d, 1.0) ** 2, rel=1e-12)


def test_observation_is_gain_times_exp_x(patient):
    np.testing.assert_allclose(patient.observation, np.exp(patient.x) @ patient.gain.T, rtol=1e-12)


def test_registration_recovers_a_known_affine_map():
    rng = np.random.default_rng(0)
    c76 = rng.normal(size=(6, 3)) * 30
    A = np.array([[0.0, 1.1, 0.0], [-0.9, 0.0, 0.1], [0.0, 0.0, 1.0]])
    c96 = (c76 - np.array([1.0, 2.0, 3.0])) @ np.linalg.inv(A)
    names76 = ["rA1", "rHC", "rV1", "lA1", "lHC", "lV1"]
    names96 = ["RM-A1_R", "RM-HC_R", "RM-V1_R", "RM-A1_L", "RM-HC_L", "RM-V1_L"]
    conn = lambda names, c: SimpleNamespace(labels=names, centres=c, n_regions=len(names))  # noqa: E731
    out, rms = clinical.register_centres(conn(names96, c96), conn(names76, c76))
    np.testing.assert_allclose(out, c76, atol=1e-9)
    assert rms < 1e-9


def test_euler_maruyama_step_matches_the_equations():
    W = np.array([[0.0, 1.0], [0.5, 0.0]])
    x0, K, tau0, I1, dt = np.array([-1.6, -3.0]), 0.3, 90.0, 3.1, 0.1
    y0 = np.array([[-2.5, -2.0], [3.5, 3.2]])
    got = clinical.simulate_em(W, x0, K=K, tau0=tau0, I1=I1, dt=dt, n_steps=1, init=y0, sigma=0.0,
                               rng=np.random.default_rng(0))[0]
    x, z = y0
    c = W @ x - W.sum(1) * x  # sum_j w_ij (x_j - x_i)
    dx = 1 - x ** 3 - 2 * x ** 2 - z + I1
    dz = (4 * (x - x0) - z - K * c) / tau0
    np.testing.assert_allclose(got, np.stack([x + dt * dx, z + dt * dz]), rtol=1e-12)


def test_latent_noise_has_the_given_sd():
    # at a flat point of the dynamics the one-step spread is sigma sqrt(dt)
    W = np.zeros((2000, 2000))
    out = clinical.simulate_em(W, np.full(2000, -3.0), K=0.0, tau0=90.0, I1=3.1, dt=0.1, n_steps=1,
                               init=np.zeros((2, 2000)), sigma=0.01, rng=np.random.default_rng(1))[0]
    assert np.std(out[1]) == pytest.approx(0.01 * np.sqrt(0.1), rel=0.05)


# ---------------------------------------------------------------------------
# observation choices


def _problem(**kw):
    G = np.array([[2.0, 1.0, 0.0], [0.5, 0.5, 3.0]])
    return VEPProblem(np.ones((4, kw.pop("n_obs", 2))), G, np.zeros((3, 3)), **kw)


def test_sensor_level_observation_equals_hand_computation():
    x = np.array([[-2.0, -1.0, 0.5], [-3.0, 0.0, -1.0]])
    hand = np.array([[2 * np.exp(-2.0) + np.exp(-1.0), 0.5 * np.exp(-2.0) + 0.5 * np.exp(-1.0) + 3 * np.exp(0.5)],
                     [2 * np.exp(-3.0) + 1.0, 0.5 * np.exp(-3.0) + 0.5 + 3 * np.exp(-1.0)]])
    np.testing.assert_allclose(observe_sources(x, _problem(observe="linear", fit_scale=False), 7.0, 9.0), hand, rtol=1e-12)
    np.testing.assert_allclose(observe_sources(x, _problem(observe="linear"), 2.0, 0.5), 2.0 * hand + 0.5, rtol=1e-12)
    np.testing.assert_allclose(observe_sources(x, _problem(observe="log", fit_scale=False), 2.0, 0.5), np.log(hand), rtol=1e-12)
    M = np.array([[1.0, -1.0]])
    np.testing.assert_allclose(observe_sources(x, _problem(observe="linear", fit_scale=False, montage=M, n_obs=1), 1.0, 0.0),
                               hand @ M.T, rtol=1e-12)


def test_observation_choices_and_refusals():
    y = np.array([[1.0, 3.0, 4.0], [2.0, 2.0, 8.0]])
    yb, kw, names = observation_options(y, ["A1", "A2", "A3"], observation="sensor", montage="bipolar", scale="fixed")
    np.testing.assert_allclose(yb, [[-2.0, -1.0], [0.0, -6.0]])
    assert names == ("A1-A2", "A2-A3") and kw["observe"] == "linear" and kw["fit_scale"] is False
    yl, kw, _ = observation_options(y, ["A1", "A2", "A3"], observation="sensor-log")
    np.testing.assert_allclose(yl, np.log(y))
    assert kw == {"observe": "log", "fit_scale": True, "montage": None}
    with pytest.raises(InputError, match="bipolar"):
        observation_options(y, ["A1", "A2", "A3"], observation="envelope", montage="bipolar")
    with pytest.raises(InputError, match="positive"):
        observation_options(-y, ["A1", "A2", "A3"], observation="sensor-log")
    with pytest.raises(InputError, match="bipolar"):
        _problem(observe="log", montage=np.array([[1.0, -1.0]]), n_obs=1)


def test_linear_priors_scale_with_the_data():
    p = VEPProblem(1e-3 * np.arange(8.0).reshape(4, 2), np.ones((2, 3)), np.zeros((3, 3)), observe="linear")
    assert p.data_unit == pytest.approx(np.std(1e-3 * np.arange(8.0)))
    assert p.offset_loc() == 0.0
    assert VEPProblem(np.ones((4, 2)), np.ones((2, 3)), np.zeros((3, 3))).data_unit == 1.0


# ---------------------------------------------------------------------------
# the integration step comes from the model


def test_dt_rule_from_the_time_scales():
    assert fast_rate(3.1, (-2.5, 1.0)) == pytest.approx(8.75, rel=1e-6)  # |3x^2 + 4x| at x = -2.5
    assert fast_rate(3.1, (-2.0, 1.0)) == pytest.approx(7.0, rel=1e-6)   # at x = 1
    assert max_step(90.0) == pytest.approx(1.8 / 8.75, rel=1e-6)
    assert max_step(5.0) == pytest.approx(0.1)  # slow variable: tau0 / 50
    assert substeps(0.5, 90.0) == 3 and substeps(0.1, 90.0) == 1


def test_coarse_dt_is_substepped_with_a_warning():
    pri = VEPPriors(x_init_loc=-2.5, z_init_loc=3.5)
    with pytest.warns(BraintwinWarning, match="sub-steps"):
        dt, steps = _integration(0.5, 1, 90.0, 3.1, pri, None)
    assert steps == 3 and dt == pytest.approx(0.5 / 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the demo's step with the default prior start stays as it is
        assert _integration(0.25, 1, 20.0, 3.1, VEPPriors(), None) == (0.25, 1)
    with pytest.raises(InputError):
        _integration(0.5, 1, 90.0, 3.1, pri, -1.0)


# ---------------------------------------------------------------------------
# chains that disagree never give labels


def _disagreeing_chains():
    rng = np.random.default_rng(0)
    x0 = -3.0 + 0.05 * rng.standard_normal((4, 200, 3))
    x0[:, :, 0] += 1.4   # region a: agreed, near EZ
    x0[2:, :, 1] += 1.0  # region b: two chains at -3, two at -2: disagree
    return x0


def test_disagreeing_chains_are_found_with_their_means():
    d = chain_disagreement(_disagreeing_chains(), ["a", "b", "c"])
    assert [r["region"] for r in d] == ["b"]
    assert d[0]["rhat"] > 1.1
    np.testing.assert_allclose(d[0]["chain_means"], [-3.0, -3.0, -2.0, -2.0], atol=0.02)
    assert chain_disagreement(_disagreeing_chains()[:, :, [0, 2]], ["a", "c"]) == []


def test_a_fit_whose_chains_disagree_refuses_to_label():
    x0 = _disagreeing_chains()
    flat = x0.reshape(-1, 3)
    table = label_regions(flat, None, None, ["a", "b", "c"], ez_rule="threshold", pz_rule="threshold")
    assert table.ez == ["a"]  # what a pooled rule would have said
    out = refuse_labels(table, chain_disagreement(x0, ["a", "b", "c"]))
    assert list(out.label) == [UNDETERMINED] * 3 and out.ez == [] and out.pz == []
    assert "NO LABELS" in str(out) and "b (R-hat" in str(out)
    info = labels_to_info(out)
    assert info["rules"]["refused"]["regions"][0]["region"] == "b"
    twin = SimpleNamespace(posterior=SimpleNamespace(info={"region_labels": info}), connectome=SimpleNamespace(labels=["a", "b", "c"]))
    assert "not labelled" in label_summary(twin)
    fit = VEPFit(SimpleNamespace(labels=("a", "b", "c")), {"x0": x0}, out, SimpleNamespace(ok=True), {"centres": np.eye(3)}, {})
    assert fit.ok is False  # diagnostics alone would pass: the refusal fails the fit
    from matplotlib.figure import Figure

    axs = Figure().subplots(1, 3)
    fit._plot_map(axs[0])
    fit._plot_x0(axs[1])  # undetermined regions are drawn in their own colour
    assert {t.get_text() for t in axs[1].get_xticklabels()} == {"a", "b", "c"}


def test_report_says_the_fit_failed():
    from braintwin.report.html import _ez_section

    out = refuse_labels(label_regions(np.full((2, 2), -3.0), None, None, ["a", "b"], ez_rule="threshold", pz_rule="threshold"),
                        [{"region": "b", "rhat": 3.2, "chain_means": [-3.0, -2.0]}])
    probs = {k: np.zeros(2) for k in ("EZ", "PZ", "healthy")}
    probs.update(label=list(out.label), rules=dict(out.rules))
    html = _ez_section(SimpleNamespace(), None, probs)
    assert "the fit failed" in html and "b (R-hat 3.20)" in html


def test_a_region_without_contacts_nearby_is_not_observable():
    from braintwin.workflows.vep.labels import NOT_OBSERVABLE, mark_unobservable

    rng = np.random.default_rng(2)
    # region 0 seen (narrow posterior at -3.5), region 1 far from every contact (posterior = its prior), region 2 EZ
    prior_sd = 0.8
    x0 = np.stack([-3.5 + 0.02 * rng.standard_normal(1000), -3.0 + prior_sd * rng.standard_normal(1000).clip(-1.2, 0.9),
                   -1.6 + 0.02 * rng.standard_normal(1000)], axis=1)
    t = label_regions(x0, None, None, ["seen", "far", "ez"], ez_rule="threshold", pz_rule="threshold")
    assert list(t.label) == ["healthy", "healthy", "EZ"]
    out = mark_unobservable(t, x0, prior_sd)
    assert list(out.label) == ["healthy", NOT_OBSERVABLE, "EZ"]
    assert out.rules["not_observable"]["regions"] == ["far"]
    assert out.rules["not_observable"]["shrinkage"][0] > 0.99 and out.rules["not_observable"]["shrinkage"][1] < 0.5
    np.testing.assert_allclose(out.probability, [1.0, t.p_healthy[1], 1.0])  # the probability stays the posterior's
    assert out.compare(["healthy", "healthy", "EZ"])["not_observable"] == ["far"]


def test_cli_refuses_a_bipolar_envelope_and_bad_choices(tmp_path, capsys):
    from braintwin.cli import main

    np.save(tmp_path / "y.npy", np.ones((20, 3)))
    np.save(tmp_path / "g.npy", np.ones((3, 76)))
    base = ["vep", "fit", "--seeg", str(tmp_path / "y.npy"), "--gain", str(tmp_path / "g.npy"), "--connectome", "tvb76",
            "--no-progress", "--out", str(tmp_path / "o")]
    assert main(base + ["--envelope", "yes", "--montage", "bipolar"]) == 2
    assert "bipolar" in capsys.readouterr().err
    assert main(base + ["--observation", "power"]) == 2
    assert "observation" in capsys.readouterr().err
    assert main(base + ["--pz-rule", "published"]) == 2  # refused before any fitting
    err = capsys.readouterr().err
    assert "pz_rule" in err and "recruited or threshold or either" in err and "Traceback" not in err
    assert main(base + ["--ez-rule", "onset"]) == 2
    assert "ez_rule" in capsys.readouterr().err
    assert main(base + ["--chain-method", "lockstep"]) == 2
    assert "chain_method" in capsys.readouterr().err
    assert main(base + ["--step-pool", "max"]) == 2
    err = capsys.readouterr().err
    assert "step_pool" in err and "min or median or chain" in err and "Traceback" not in err
    assert main(base + ["--initial", "calm"]) == 2
    err = capsys.readouterr().err
    assert "initial" in err and "prior or rest or slow" in err and "Traceback" not in err
    assert main(base + ["--initial", "slow", "--x-init", "-1.9"]) == 2  # x(0) follows z(0): never silently ignored
    err = capsys.readouterr().err
    assert "x_init" in err and "--initial slow" in err and "Traceback" not in err


def test_twin_build_toml_takes_initial_and_eps_floor_and_refuses_what_it_cannot_honour(tmp_path, capsys):
    from braintwin.cli import main

    cfg = tmp_path / "b.toml"
    head = 'seeg = "s.npy"\nconnectome = "tvb76"\ngain = "g.npy"\n'
    cfg.write_text(head + 'initial = "calm"\n')
    assert main(["twin", "build", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert str(cfg) in err and "initial" in err and "calm" in err and "Traceback" not in err
    cfg.write_text(head + 'initial = "slow"\nx_init = -1.9\n')
    assert main(["twin", "build", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "x_init" in err and "slow" in err
    cfg.write_text(head + 'initial = "slow"\neps_floor = 0.2\n')  # both keys accepted: the refusal is now the missing file
    assert main(["twin", "build", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "unknown key" not in err and "s.npy" in err


def test_twin_build_toml_passes_initial_and_eps_floor_to_the_fit(tmp_path, monkeypatch):
    import braintwin.vep as vep
    from braintwin.cli import main

    np.save(tmp_path / "s.npy", np.ones((20, 3)))
    np.save(tmp_path / "g.npy", np.ones((3, 76)))
    seen = {}

    class Stop(Exception):
        pass

    def fake_fit(*args, priors, **kw):  # stands in for the chains: only the priors the TOML made are looked at
        seen["priors"] = priors
        raise Stop

    monkeypatch.setattr(vep, "fit", fake_fit)
    cfg = tmp_path / "b.toml"
    cfg.write_text('seeg = "s.npy"\nconnectome = "tvb76"\ngain = "g.npy"\nchains = 1\ninitial = "slow"\neps_floor = 0.2\n'
                   'z_init = 3.5\n')
    with pytest.raises(Stop):
        main(["twin", "build", str(cfg)])
    assert seen["priors"].initial == "slow"
    assert seen["priors"].eps_floor == 0.2 and seen["priors"].z_init_loc == 3.5


# ---------------------------------------------------------------------------
# a reduced sensor-level patient: every EZ and PZ recovered (issue 17, "Done when")


@pytest.mark.slow
def test_reduced_sensor_level_patient_recovers_every_ez_and_pz():
    """10 regions, 16 contacts, 80 samples observed as y = G exp(x) (no envelope, amplitude or offset), 2 chains x 200/200."""
    import braintwin as bt
    import braintwin.vep as vep

    regions = ["rAMYG", "rPHC", "rHC", "rTCI", "rTCV", "rTCPOL", "rTCC", "rTCS", "rIA", "rV1"]
    p = vep.synthetic_patient(bt.Connectome.builtin("tvb76").subset(regions), ez=["rTCC", "rTCV"],
                              pz=["rTCI", "rAMYG", "rTCPOL", "rTCS"], dt=0.25, n_times=80, n_contacts=16, tau0=20.0, seed=1)
    clean = np.exp(p.x) @ p.gain.T  # the sensor-level forward model, by hand
    y = clean + 0.05 * clean.std() * np.random.default_rng(0).standard_normal(clean.shape)
    f = vep.fit(y, p.gain, p.connectome, dt=p.dt, tau0=p.tau0, I1=p.I1, observe="linear", fit_scale=False, num_chains=2,
                num_warmup=200, num_samples=200, seed=0, target_accept_prob=0.99, warn=False)
    assert f.problem.observe == "linear" and not f.problem.fit_scale
    assert sorted(f.labels.ez) == sorted(p.ez) and sorted(f.labels.pz) == sorted(p.pz), (str(f.labels), p.ez, p.pz)
    assert not f.labels.refused
    ez = [i for i, r in enumerate(p.region_labels) if r in p.ez]
    assert np.all(f.labels.p_ez[ez] > 0.9)
    assert f.diagnostics.max_rhat("x0") < 1.1 and f.diagnostics.divergences <= 5


def test_demo_says_why_a_fit_failed():
    from braintwin.cli.demo import _verdict

    ok = SimpleNamespace(ok=True)
    assert _verdict(ok) == "ok"
    bad = SimpleNamespace(ok=False, diagnostics=SimpleNamespace(problems=["R-hat of x0 up to 1.014 > 1.01 (1 entries)"]),
                          labels=SimpleNamespace(refused=None))
    assert _verdict(bad) == "FAILED (R-hat of x0 up to 1.014 > 1.01 (1 entries))"
    refused = SimpleNamespace(ok=False, diagnostics=SimpleNamespace(problems=[]), labels=SimpleNamespace(refused={"regions": []}))
    assert "chains disagree" in _verdict(refused)
# the model-error floor of the observation noise (a tempered likelihood)


def test_noise_floor_is_added_in_quadrature_and_scales_with_the_data():
    from braintwin.workflows.vep.model import noise_sd
    from braintwin.workflows.vep.priors import EPS_FLOOR

    y = 1e-3 * np.arange(8.0).reshape(4, 2)
    sd = np.std(y)
    lin = VEPProblem(y, np.ones((2, 3)), np.zeros((3, 3)), observe="linear", priors=VEPPriors(eps_loc=0.1, eps_scale=1.0))
    # default floor of sensor-level data: EPS_FLOOR["linear"] of the data's sd
    assert lin.eps_floor == pytest.approx(EPS_FLOOR["linear"] * sd)
    for star in (-8.0, -1.0, 0.0, 2.0):
        e = 0.1 * sd * np.exp(star)
        assert noise_sd(lin, star) == pytest.approx(np.sqrt((EPS_FLOOR["linear"] * sd) ** 2 + e ** 2), rel=1e-12)
    # a tiny measurement noise cannot take the likelihood below the floor
    assert noise_sd(lin, -30.0) == pytest.approx(lin.eps_floor, rel=1e-9)
    # the log envelope keeps the plain log-normal noise unless a floor is asked for
    log = VEPProblem(np.ones((4, 2)), np.ones((2, 3)), np.zeros((3, 3)))
    assert EPS_FLOOR["log"] == 0.0 and log.eps_floor == 0.0 and noise_sd(log, -1.0) == pytest.approx(0.1 * np.exp(-1.0))
    fixed = VEPProblem(y, np.ones((2, 3)), np.zeros((3, 3)), observe="linear", priors=VEPPriors(eps_floor=0.2))
    assert fixed.eps_floor == pytest.approx(0.2 * sd)
    no_floor = VEPProblem(y, np.ones((2, 3)), np.zeros((3, 3)), observe="linear", priors=VEPPriors(eps_floor=0.0))
    assert no_floor.eps_floor == 0.0 and noise_sd(no_floor, -30.0) < 1e-15
    with pytest.raises(InputError, match="eps_floor"):
        VEPPriors(eps_floor=-0.1)


def test_noise_floor_round_trips_and_bounds_the_model():
    from braintwin.infer.nuts import x64
    from braintwin.workflows.vep.model import constrain, unconstrain, vep_model

    rng = np.random.default_rng(0)
    y = np.abs(rng.normal(size=(6, 3)))
    prob = VEPProblem(y, np.ones((3, 2)), np.zeros((2, 2)), observe="linear", fit_scale=False, priors=VEPPriors(eps_floor=0.3))
    for eps in (0.4 * np.std(y), 2.0 * np.std(y)):
        assert constrain(prob, unconstrain(prob, {"eps": eps}))["eps"] == pytest.approx(eps, rel=1e-10)
    # a value below the floor is started just above it
    assert prob.eps_floor <= constrain(prob, unconstrain(prob, {"eps": 1e-9}))["eps"] < 1.01 * prob.eps_floor
    import jax
    from numpyro.infer import Predictive

    with x64():
        eps = np.asarray(Predictive(vep_model, num_samples=500, return_sites=["eps"])(jax.random.PRNGKey(0), prob, None, False)["eps"])
    # the log-normal part spans the floor (median 0.1 sd < 0.3 sd) yet the likelihood's sd never goes below it
    assert eps.min() >= prob.eps_floor and np.median(eps) < 1.2 * prob.eps_floor


@pytest.mark.slow
def test_ode_fit_of_sde_data_shrinks_the_noise_unless_floored():
    """Reduced clinical patient (5 regions, 10 contacts, latent noise 0.01): the ODE's MAP explains the SDE's data with a
    noise far below the misfit the true parameters leave (the ill-conditioning of issue 17); the floor holds it there."""
    import braintwin.vep as vep
    from braintwin.infer.nuts import find_map, potential_of, x64
    from braintwin.workflows.vep.fit import _map_inits
    from braintwin.workflows.vep.model import vep_model

    p = clinical.clinical_patient(n_regions=5, n_contacts=10, duration=40.0, sample_period=1.0, seed=0)
    sd = np.std(p.observation)
    eps = {}
    for floor in (0.0, 0.1):
        pri = VEPPriors(x_init_loc=-2.5, z_init_loc=3.5, eps_floor=floor)
        dt, steps = _integration(1.0, 1, p.tau0, p.I1, pri, None)
        prob = vep.VEPProblem(p.observation, p.gain, p.connectome.weights, dt=dt, steps_per_sample=steps, tau0=p.tau0, I1=p.I1,
                              priors=pri, observe="linear", fit_scale=False)
        with x64():
            fwd = prob.forward()
            flat = potential_of(vep_model, (prob, fwd))
            m = find_map(flat, starts=1, inits=_map_inits([prob])[:1], maxiter=300)
            eps[floor] = float(flat.postprocess(flat.unravel(m.z))["eps"]) / sd
    assert eps[0.0] < 0.05          # the noise collapses (measured 0.9 %;  the truth's ODE misfit is ~10 % of the sd)
    assert 0.1 <= eps[0.1] < 0.12   # held at the floor
