"""Updating a twin with a new recording: posterior-fitted prior, joint multi-recording model, sequential == joint."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("numpyro")

import braintwin as bt
import braintwin.vep as vep
from braintwin.errors import InputError
from braintwin.twin import Posterior, Twin
from braintwin.vep.model import PersonPrior, constrain, recording_suffix, unconstrain, vep_model
from braintwin.vep.workflow import twin_from_fit

SMALL = ["rAMYG", "rPHC", "rHC", "rTCI", "rTCV", "rTCPOL", "rTCC", "rTCS", "rIA", "rV1"]
EZ = ["rTCC", "rTCV"]
PZ = ["rTCI", "rAMYG", "rTCPOL", "rTCS"]
FIT = dict(num_chains=2, num_warmup=200, num_samples=200, seed=0)


@pytest.fixture(scope="module")
def recordings():
    """Two recordings of one synthetic person: same x0, K, tau0; new initial state and noise."""
    conn = bt.Connectome.builtin("tvb76").subset(SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = vep.synthetic_patient(conn, ez=EZ, pz=PZ, dt=0.25, n_times=80, n_contacts=16, tau0=20.0, seed=1)
        b = vep.synthetic_patient(conn, ez=EZ, pz=PZ, dt=0.25, n_times=80, n_contacts=16, tau0=a.tau0, K=a.K, seed=2)
    assert np.array_equal(a.x0, b.x0) and a.K == b.K
    assert not np.allclose(a.initial, b.initial) and not np.allclose(a.observation, b.observation)
    assert list(a.labels) == list(b.labels)
    return a, b


# -- the person prior ------------------------------------------------------------------------------


def test_person_prior_from_draws_recovers_a_gaussian():
    rng = np.random.default_rng(0)
    d, lo, hi = 6, -4.0, -1.0
    A = rng.normal(size=(d, d)) * 0.3
    cov = A @ A.T + 0.05 * np.eye(d)
    loc = np.r_[np.linspace(-1.5, 1.0, d - 1), np.log(0.2)]
    th = rng.multivariate_normal(loc, cov, size=20_000)
    x0 = lo + (hi - lo) / (1 + np.exp(-th[:, :-1]))
    pp = PersonPrior.from_draws(x0, np.exp(th[:, -1]), (lo, hi))
    assert pp.source == "posterior" and pp.n_regions == d - 1
    assert np.allclose(pp.loc, loc, atol=0.02)
    assert np.allclose(pp.cov, cov, atol=0.02)
    assert np.allclose(np.triu(pp.scale, 1), 0.0)  # a Cholesky factor
    # its own draws have the same moments
    x0s, Ks = pp.sample_x0_K(20_000, (lo, hi), seed=3)
    assert np.allclose(x0s.mean(0), x0.mean(0), atol=0.02) and abs(np.log(Ks).mean() - loc[-1]) < 0.02
    # round trip through JSON-ready form
    back = PersonPrior.from_dict(pp.to_dict())
    assert np.array_equal(back.loc, pp.loc) and np.array_equal(back.scale, pp.scale)


def test_person_prior_shrinks_a_few_draws_to_positive_definite():
    rng = np.random.default_rng(1)
    x0 = -2.5 + 0.1 * rng.standard_normal((5, 20))  # 5 draws of 21 parameters: the sample covariance is singular
    pp = PersonPrior.from_draws(x0, np.full(5, 0.2) * np.exp(0.1 * rng.standard_normal(5)))
    assert np.all(np.linalg.eigvalsh(pp.cov) > 0)
    with pytest.raises(InputError, match="x0"):
        PersonPrior.from_draws(np.full((10, 3), -4.5), np.ones(10))
    with pytest.raises(InputError, match="matching"):
        PersonPrior.from_draws(np.full((10, 3), -2.5), np.ones(9))
    with pytest.raises(InputError, match="invertible"):
        PersonPrior(np.zeros(3), np.zeros((3, 3)))


def test_default_person_prior_is_the_vep_prior(recordings):
    a, _ = recordings
    prob = a.problem()
    pp = prob.person_prior
    n = prob.n_regions
    assert pp.source == "priors"
    assert np.allclose(pp.loc[:n], prob.priors.u_loc) and np.isclose(np.exp(pp.loc[n]), prob.priors.K_loc)
    # covariance: x0_scale^2 I for the logits (the rotation is orthogonal), K_scale^2 for log K, no cross terms
    assert np.allclose(pp.cov[:n, :n], prob.priors.x0_scale ** 2 * np.eye(n))
    assert np.isclose(pp.cov[n, n], prob.priors.K_scale ** 2) and np.allclose(pp.cov[n, :n], 0.0)


def test_unconstrain_round_trip_with_a_posterior_prior(recordings):
    a, _ = recordings
    rng = np.random.default_rng(2)
    pp = PersonPrior.from_draws(a.x0 + 0.01 * rng.standard_normal((50, a.n_regions)), a.K * np.exp(0.05 * rng.standard_normal(50)))
    prob = a.problem().__class__(**{**_problem_kwargs(a.problem()), "person_prior": pp})
    vals = a.truth
    for sfx in ("", "_1"):
        star = unconstrain(prob, vals, sfx)
        assert all(k.endswith(sfx) for k in star if k not in ("x0_star", "K_star"))
        back = constrain(prob, star, sfx)
        for k in ("x0", "x_init", "z_init", "K", "amplitude", "offset", "eps"):
            assert np.allclose(back[k], vals[k], atol=1e-9), (sfx, k)
    # the truth is at the centre of this prior: its standard-normal coordinates are small
    assert np.abs(unconstrain(prob, {"x0": pp.sample_x0_K(1, (-4, -1))[0][0]})["x0_star"]).max() < 6


def _problem_kwargs(prob):
    return dict(observation=prob.observation, gain=prob.gain, weights=prob.weights, dt=prob.dt, steps_per_sample=prob.steps_per_sample,
                tau0=prob.tau0, I1=prob.I1, priors=prob.priors, labels=prob.labels)


def test_joint_model_density_is_the_sum_over_recordings(recordings):
    """log p(A, B, theta) = log p(A, theta_A) + log p(B, theta_B) - log p(x0_star, K_star): x0 and K are shared, once."""
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    from braintwin.infer.nuts import x64

    a, b = recordings
    pa = a.problem()
    pb = pa.__class__(**{**_problem_kwargs(b.problem()), "person_prior": pa.person_prior})
    rng = np.random.default_rng(4)
    n = pa.n_regions
    with x64():
        shared = {"x0_star": rng.normal(size=n), "K_star": rng.normal()}
        own = [{k: rng.normal(size=n) if "init" in k else rng.normal() for k in ("x_init_star", "z_init_star", "amp_star",
                                                                               "offset_star", "eps_star")} for _ in range(2)]
        joint = dict(shared)
        for r, o in enumerate(own):
            joint.update({k + recording_suffix(r): v for k, v in o.items()})
        lj, _ = log_density(vep_model, ([pa, pb],), {}, {k: jnp.asarray(v) for k, v in joint.items()})
        la, _ = log_density(vep_model, (pa,), {}, {k: jnp.asarray(v) for k, v in {**shared, **own[0]}.items()})
        lb, _ = log_density(vep_model, (pb,), {}, {k: jnp.asarray(v) for k, v in {**shared, **own[1]}.items()})
        lshared = -0.5 * (np.sum(shared["x0_star"] ** 2) + shared["K_star"] ** 2) - 0.5 * (n + 1) * np.log(2 * np.pi)
        assert np.isclose(float(lj), float(la) + float(lb) - lshared, rtol=1e-10, atol=1e-8)
    with pytest.raises(InputError, match="share"):
        other = pa.__class__(**{**_problem_kwargs(pa), "weights": 2 * pa.weights})
        vep_model([pa, other])


# -- the update -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fits(recordings):
    """The first recording's fit, its twin, and the twin updated with the second recording."""
    a, b = recordings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fa = vep.fit_patient(a, **FIT)
        twin = twin_from_fit(fa, a.connectome, tau0=a.tau0, I1=a.I1)
        fu = twin.update(b.observation, truth=b)
    return fa, twin, fu


@pytest.mark.slow  # a third NUTS fit (the joint one), about a minute; `make test-all` runs it
def test_sequential_update_agrees_with_joint_fit(recordings, fits):
    a, b = recordings
    fa, twin, fu = fits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fj = vep.fit([a.observation, b.observation], a.gain, a.connectome, dt=a.dt, tau0=a.tau0, I1=a.I1, **FIT)
    xa, xu, xj = fa.x0_samples, fu.x0_samples, fj.x0_samples
    sd = xj.std(0)
    z_update = np.abs(xu.mean(0) - xj.mean(0)) / sd
    z_first = np.abs(xa.mean(0) - xj.mean(0)) / sd
    # every region's posterior mean after the update lies within one joint posterior sd of the joint fit's ...
    assert np.all(z_update < 1.0), z_update
    # ... closer than the first recording alone, and the spreads agree
    assert z_update.mean() < z_first.mean(), (z_update, z_first)
    assert np.all((xu.std(0) / sd > 0.5) & (xu.std(0) / sd < 2.0)), xu.std(0) / sd
    Ku, Kj = fu.samples["K"].ravel(), fj.samples["K"].ravel()
    assert abs(Ku.mean() - Kj.mean()) < Kj.std(), (Ku.mean(), Kj.mean(), Kj.std())
    # the second recording adds information: the posterior narrows for most regions
    assert np.mean(xu.std(0) < xa.std(0)) >= 0.7
    # same labels, and they are the truth
    assert list(fu.labels.label) == list(fj.labels.label) == list(a.labels)
    # the joint fit has one set of per-recording sites per recording and diagnoses them all
    assert {"x_init", "x_init_1", "amplitude_1", "offset_1", "eps_1"} <= set(fj.samples)
    assert {"amplitude", "amplitude_1", "eps_1"} <= set(fj.diagnostics.rhat)
    assert len(fj.problems) == 2 and fj.problem is fj.problems[-1]
    # a twin of the joint fit keeps both recordings and counts them
    tj = twin_from_fit(fj, a.connectome, tau0=a.tau0, I1=a.I1)
    assert np.array_equal(tj.data["recording_0"]["seeg_envelope"], a.observation)
    assert np.array_equal(tj.data["seeg_envelope"], b.observation) and tj.posterior.info["n_recordings"] == 2


def test_update_is_recorded_and_warm_started(recordings, fits, tmp_path):
    a, b = recordings
    fa, twin, fu = fits
    rec = twin.history[-1]
    assert rec["what"].startswith("update 1:")
    assert rec["config"]["prior"].startswith("Gaussian fitted to the previous posterior")
    assert len(rec["config"]["recording_sha256"]) == 64
    assert rec["config"]["num_warmup"] == FIT["num_warmup"] // 2
    assert np.array_equal(twin.data["update_1"]["seeg_envelope"], b.observation)
    assert twin.posterior.info["n_recordings"] == 2 and twin.posterior.info["person_prior"]["source"] == "posterior"
    assert np.array_equal(twin.posterior["x0"], fu.x0_samples)
    # warm start: one MAP start from the current posterior instead of the data-driven search
    assert len(fu.nuts.map.starts) == 1 < len(fa.nuts.map.starts)
    # the updated twin survives a save/load and can be updated again from the file
    path = twin.save(tmp_path / "updated.twin.h5")
    back = Twin.load(path)
    assert back.equals(twin)
    assert back.posterior.info["updater"] == "braintwin.vep.workflow:update_twin"


def test_update_errors(recordings, fits):
    a, b = recordings
    fa, twin, fu = fits
    with pytest.raises(InputError, match="contacts"):
        twin.copy().update(b.observation[:, :5])
    with pytest.raises(InputError, match=f"{a.n_regions} regions"):
        twin.copy().update(b.observation, gain=np.ones((b.observation.shape[1], a.n_regions - 1)))
    bare = Twin("sub-007", a.connectome, bt.models.VEP2D())
    with pytest.raises(InputError, match="no posterior"):
        bare.update(b.observation)
    bare.posterior = Posterior({"x0": np.full((4, a.n_regions), -2.5), "K": np.full(4, 0.2)}, method="npe")
    with pytest.raises(InputError, match="how to re-fit"):
        bare.update(b.observation)
    bare.posterior = Posterior({"x0": np.full((4, a.n_regions), -2.5), "K": np.full(4, 0.2)}, method="npe",
                               info={"updater": "os:system"})
    with pytest.raises(InputError, match="not a braintwin function"):
        bare.update(b.observation)


def test_cli_twin_update(recordings, fits, tmp_path, capsys):
    from braintwin.cli import main

    a, b = recordings
    fa, twin, fu = fits
    first = twin_from_fit(fa, a.connectome, tau0=a.tau0, I1=a.I1)
    path = first.save(tmp_path / "p.twin.h5")
    np.save(tmp_path / "new.npy", b.observation)
    rc = main(["twin", "update", str(path), "--seeg", str(tmp_path / "new.npy"), "--out", str(tmp_path / "u.twin.h5")])
    err = capsys.readouterr().err
    assert "update 1" in err and "EZ" in err
    u = Twin.load(tmp_path / "u.twin.h5")
    assert rc == (0 if u.history[-1]["config"]["diagnostics_ok"] else 1)  # as `vep fit`: failed diagnostics exit 1
    assert u.history[-1]["what"].startswith("update 1:") and "new.npy" in u.provenance["inputs"]
    assert sorted(np.array(u.connectome.labels)[u.posterior["x0"].mean(0) > -1.9]) == sorted(EZ)
    assert Twin.load(path).posterior.info["n_recordings"] == 1  # --out leaves the original alone
    from braintwin.report import render_report

    html = render_report(u, figures=False)
    assert "Recordings the twin has learnt from" in html and "Last updated with a new recording" in html
    # bad input: one line naming the file and the field, exit status 2
    np.save(tmp_path / "bad.npy", b.observation[:, :3])
    assert main(["twin", "update", str(path), "--seeg", str(tmp_path / "bad.npy")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.npy" in err[0] and "seeg" in err[0] and "Traceback" not in err[0]
    # a twin that stores no gain: the new recording's gain is required, said in one line
    nogain = first.copy()
    nogain.observation = {k: v for k, v in nogain.observation.items() if k != "gain"}
    with pytest.raises(InputError, match="no SEEG gain"):
        nogain.copy().update(b.observation)
    p2 = nogain.save(tmp_path / "nogain.twin.h5")
    assert main(["twin", "update", str(p2), "--seeg", str(tmp_path / "new.npy")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nogain.twin.h5" in err[0] and "--gain" in err[0]
