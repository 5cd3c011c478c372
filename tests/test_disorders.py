"""Disorder workflows (issue 15, items 2-4 and 6): multiple sclerosis, ageing, Alzheimer's.

What-if directions on a small network (known from the literature and from the
models' analytic behaviour), the burden table's label matching, outcome
registration, pooling of per-draw predictions, the report section and the CLI's
bad input; one tiny end-to-end inference per workflow (slow).
"""

from __future__ import annotations

import numpy as np
import pytest

import braintwin as bt
from braintwin.errors import InputError
from braintwin.infer import Posterior
from braintwin.workflows import _disorders, ageing, alzheimers, ms


@pytest.fixture(scope="module")
def small():
    """20 regions of tvb76, 10 per hemisphere (max-normalised, no self-loops)."""
    conn = bt.Connectome.builtin("tvb76")
    labels = list(conn.labels[:10]) + list(conn.labels[38:48])
    return conn.subset(labels).normalized("max").with_zero_diagonal()


# --------------------------------------------------------------------------- what-if directions
def test_ms_slower_conduction_lowers_alpha_and_remyelination_raises_it(small):
    n = small.n_regions
    k = small.weights.sum(axis=1).mean()
    post = Posterior({"G": np.array([0.02, 0.025]) / k, "speed": np.array([7.0, 9.0])}, info={"workflow": "ms"})
    twin = bt.Twin("t", small, ms.model(), "Linear", posterior=post,
                   simulation={**ms.SIMULATION, "initial": ms._initial(n)})
    preds = ms.what_ifs(twin, n_samples=2, lesion_speed=0.6, lesion_weight=0.9, remyelination_speed=1.5,
                        outcomes=("alpha",), duration=8000.0)
    slow, fast = preds[("lesion growth", "alpha")], preds[("remyelination", "alpha")]
    assert slow.n_valid == fast.n_valid == 2
    # phase-locked delay-coupled oscillators: Omega = omega - G sum w sin(Omega tau); longer tau -> lower Omega
    assert np.all(slow.treated["cog_shift"] < 0)
    assert np.all(fast.treated["cog_shift"] > 0)
    m = slow.metrics()
    assert m["alpha_peak_shift_hz"] <= 0 and m["baseline"]["alpha_peak_hz"] > 7.0
    assert slow.settings["speed"] == [7.0, 9.0]


def test_ageing_interhemispheric_decline_lowers_interhemispheric_fc(small):
    post = Posterior({"G": np.array([0.15, 0.2]), "ih": np.array([1.0, 0.8])}, info={"workflow": "ageing"})
    twin = bt.Twin("t", small, ageing.model(), "Difference", posterior=post,
                   simulation={**ageing.SIMULATION, "initial": np.zeros((2, small.n_regions))})
    preds = ageing.what_ifs(twin, n_samples=2, rate_per_decade=0.5, years=10, outcomes=("fcd_scfc",))
    p = preds[("10 more years", "fcd_scfc")]
    assert p.n_valid == 2
    assert np.all(p.treated["inter_fc_change"] < 0)
    m = p.metrics()
    assert m["intervention"]["inter_fc"] < m["baseline"]["inter_fc"]
    assert -1 <= m["baseline"]["scfc"] <= 1 and m["baseline"]["fcd_var"] > 0
    drug = preds[("coupling drug", "fcd_scfc")]  # more G partly restores the correlation between hemispheres
    assert np.all(drug.treated["inter_fc"] > p.treated["inter_fc"])


def test_alzheimers_higher_burden_slows_and_drug_speeds_up(small):
    beta = np.linspace(0.0, 1.0, small.n_regions)
    k = np.array([0.25, 0.3])
    post = Posterior({"G": np.array([1.0, 2.0]), "ei_gain": k, "b": alzheimers.inhibitory_rate(k, beta)},
                     info={"workflow": "alzheimers"})
    twin = bt.Twin("t", small, alzheimers.model(), posterior=post,
                   simulation={**alzheimers.SIMULATION, "duration": 5000.0})
    preds = alzheimers.what_ifs(twin, n_samples=2, burden_factor=1.6, drug_restores=0.8)
    worse, drug = preds[("higher burden", "slowing")], preds[("E/I drug", "slowing")]
    assert worse.n_valid == drug.n_valid == 2
    assert np.all(worse.treated["log_ratio_change"] > 0)  # Stefanovski et al. 2019: slower inhibition, slower EEG
    assert np.all(drug.treated["log_ratio_change"] < 0)
    assert worse.metrics()["theta_alpha_factor"] > 1 > drug.metrics()["theta_alpha_factor"]


def test_ei_deficit_scales_the_deficit_of_b():
    conn = bt.Connectome.builtin("tvb76").subset(["rA1", "rA2"])
    b = np.array([[0.05, 0.03], [0.04, 0.02]])
    sc = bt.whatif.Scenario(conn, alzheimers.model(), draws={"b": b})
    out = alzheimers.EIDeficit(0.5).apply(sc).draws["b"]
    np.testing.assert_allclose(out, 0.05 - (0.05 - b) * 0.5)
    assert np.all(alzheimers.EIDeficit(10.0).apply(sc).draws["b"] >= 0.005 - 1e-12)  # capped at b0 (1 - 0.9)
    with pytest.raises(InputError):
        alzheimers.EIDeficit(-1.0)


def test_inhibitory_rate_and_burden_normalisation():
    np.testing.assert_allclose(alzheimers.inhibitory_rate([0.0, 0.5], [0.0, 1.0]), [[0.05, 0.05], [0.05, 0.025]])
    np.testing.assert_allclose(alzheimers.normalise_burden([1.0, 2.0, 0.0]), [0.5, 1.0, 0.0])
    with pytest.raises(InputError):
        alzheimers.normalise_burden([1.0, np.nan])


# --------------------------------------------------------------------------- burden tables
LABELS = ["lA1", "lA2", "rA1", "rA2"]


def test_burden_table_reads_header_comments_and_missing(tmp_path):
    p = tmp_path / "b.tsv"
    p.write_text("region\tvalue\n# amyloid SUVR\nlA1\t1.5\nrA2\t2.0\n")
    np.testing.assert_allclose(alzheimers.read_burden(p, LABELS), [1.5, 0.0, 0.0, 2.0])
    p.write_text("lA1,1.5\nlA2,1\nrA1,1\nrA2,2\n")
    np.testing.assert_allclose(alzheimers.read_burden(p, LABELS, missing=None), [1.5, 1, 1, 2])
    p.write_text("LA1\t3\n")
    np.testing.assert_allclose(alzheimers.read_burden(p, LABELS, mapping={"LA1": "lA1"}), [3, 0, 0, 0])


@pytest.mark.parametrize("text, words", [
    ("lA1\t1\nlA3\t2\n", ["not in the connectome", "lA3"]),
    ("lA1\t1\nlA1\t2\n", ["listed twice", "lA1"]),
    ("lA1\t1\nlA2\tmuch\n", ["not a number"]),
    ("lA1\tnan\n", ["not finite"]),
    ("lA1\t-1\n", [">= 0"]),
    ("lA1\n", ["expected a region label and a value"]),
])
def test_burden_table_errors(tmp_path, text, words):
    p = tmp_path / "b.tsv"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        alzheimers.read_burden(p, LABELS)
    assert all(w in str(e.value) for w in words)
    assert "\n" not in str(e.value)


def test_burden_unknown_label_suggests_close_match_and_missing_regions(tmp_path):
    p = tmp_path / "b.tsv"
    p.write_text("lA1\t1\nrA11\t2\n")
    with pytest.raises(InputError, match="rA1"):
        alzheimers.read_burden(p, LABELS)
    p.write_text("lA1\t1\n")
    with pytest.raises(InputError, match="3 connectome region"):
        alzheimers.read_burden(p, LABELS, missing=None)


# --------------------------------------------------------------------------- registries and pooling
def test_outcomes_registered_and_not_twice():
    have = bt.whatif.available_outcomes()
    for name in ("alpha", "fcd_scfc", "slowing"):
        assert name in have and have[name]
    assert isinstance(bt.whatif.get_outcome("alpha"), ms.AlphaOutcome)
    with pytest.raises(InputError, match="already registered"):
        bt.whatif.register_outcome("alpha", "again")(ms.AlphaOutcome)


def test_pool_predictions_keeps_every_draw_even_when_values_repeat():
    from braintwin.whatif import NoIntervention, Prediction

    def one(v):
        return Prediction("alpha", NoIntervention(), ["a"], {"peak": np.array([10.0])}, {"peak": np.array([v])},
                          np.array([True]), 1, {}, extra={"spectra": (np.arange(5.0), np.ones((1, 5)), np.full((1, 5), v))})

    p = _disorders.pool_predictions([one(9.5), one(9.5), one(9.0)])
    assert p.n_draws == 3 and p.treated["peak"].tolist() == [9.5, 9.5, 9.0]
    f, sb, st = p.extra["spectra"]
    assert f.shape == (5,) and sb.shape == st.shape == (3, 5)


def test_report_section_registered_for_each_workflow():
    from braintwin.report import render_report

    conn = bt.Connectome.builtin("tvb76").subset(["rA1", "lA1"])
    for wf, name, model in (("ms", "speed", ms.model()), ("ageing", "ih", ageing.model()),
                            ("alzheimers", "ei_gain", alzheimers.model())):
        post = Posterior({"G": np.linspace(1, 2, 50), name: np.linspace(3.0, 4.0, 50)}, info={"workflow": wf, "n_sims": 123})
        html = render_report(bt.Twin("s", conn, model, posterior=post), figures=False)
        assert 'id="workflow"' in html and f"(<code>{name}</code>): 3.5," in html and "123 simulations" in html
    html = render_report(bt.Twin("s", conn, ms.model(), posterior=Posterior({"G": np.ones(3)})), figures=False)
    assert 'id="workflow"' not in html


def test_cli_config_errors_are_one_line(tmp_path, capsys):
    from braintwin.cli import main

    p = tmp_path / "x.toml"
    p.write_text('workflow = "gout"\n')
    assert main(["disorder", "run", str(p)]) == 2
    assert "unknown workflow 'gout'" in capsys.readouterr().err
    p.write_text('workflow = "ms"\nspeeed = 3\n')
    assert main(["disorder", "run", str(p)]) == 2
    err = capsys.readouterr().err
    assert "unknown key(s) speeed" in err and err.count("\n") == 1


def test_examples_are_valid_configs():
    from pathlib import Path

    from braintwin.cli.disorders import read_config

    root = Path(__file__).resolve().parents[1] / "examples"
    for wf in ("ms", "ageing", "alzheimers"):
        cfg = read_config(root / f"{wf}.toml")
        assert cfg["module"].__name__.endswith(wf) and cfg["n_sims"] >= 100


# --------------------------------------------------------------------------- tiny end-to-end inference
def _moves_toward(post, prior, truth: dict):
    """Posterior median closer to the truth than the prior's centre, for every parameter."""
    lo, hi = prior.bounds
    for name, t in truth.items():
        i = prior.names.index(name)
        centre, med = 0.5 * (lo[i] + hi[i]), float(np.median(post.samples[name]))
        assert abs(med - t) < abs(centre - t), (name, med, t, centre)


@pytest.mark.slow
def test_ms_inference_moves_toward_the_true_speed():
    conn = _disorders.connectome_of("tvb76")
    x, _ = ms.synthetic_person(conn, G=0.0016, speed=7.0)
    twin = ms.fit(conn, x, n_sims=200, progress=False)
    _moves_toward(twin.posterior, ms.prior(), {"speed": 7.0})


@pytest.mark.slow
def test_ageing_inference_moves_toward_the_true_interhemispheric_factor(small):
    x, _ = ageing.synthetic_person(small, G=0.1, ih=0.45)
    twin = ageing.fit(small, x, n_sims=200, progress=False)
    _moves_toward(twin.posterior, ageing.prior(), {"ih": 0.45})


@pytest.mark.slow
def test_alzheimers_inference_moves_toward_the_true_ei_gain():
    conn = _disorders.connectome_of("tvb76")
    burden = alzheimers.demo_burden(conn)
    x, _ = alzheimers.synthetic_person(conn, burden, G=2.0, ei_gain=0.4, duration=4000.0)
    twin = alzheimers.fit(conn, burden, x, n_sims=200, progress=False, duration=4000.0)
    _moves_toward(twin.posterior, alzheimers.prior(), {"ei_gain": 0.4})


def test_cli_burden_table_with_unknown_region_is_one_line(tmp_path, capsys):
    from braintwin.cli import main

    (tmp_path / "amyloid.tsv").write_text("region\tvalue\nrA1\t1.4\nrHCX\t2.1\n")
    p = tmp_path / "ad.toml"
    p.write_text(f'workflow = "alzheimers"\nburden = "{tmp_path / "amyloid.tsv"}"\nn_sims = 100\n')
    assert main(["disorder", "run", str(p), "--out", str(tmp_path / "out")]) == 2
    err = [l for l in capsys.readouterr().err.splitlines() if not l.startswith("[braintwin]")]  # progress lines aside
    assert len(err) == 1 and err[0].startswith("braintwin: error:") and "rHCX (did you mean rHC" in err[0]


def test_fc_summaries_known_values():
    conn = bt.Connectome.builtin("tvb76").subset(["rA1", "rA2", "lA1", "lA2"])  # 2 + 2 regions
    hemi = np.asarray(conn.hemispheres, bool)
    iu = np.triu_indices(4, 1)
    inter = (hemi[:, None] != hemi[None, :])[iu]
    f = np.where(inter, 0.1, 0.5)[None, :]
    s = ageing.fc_summaries(f, conn)[0]
    np.testing.assert_allclose(s[:2], [0.5, 0.1])
    np.testing.assert_allclose(s[3], np.std(f))
    w = np.asarray(conn.weights)[iu]
    np.testing.assert_allclose(s[2], np.corrcoef(w, f[0])[0, 1])
