"""One EZ/PZ map: the demo's printed map, the one what-if uses and the one the report shows are the twin's.

The fixture is the demo patient's case that used to disagree: a fit labels
rTCI PZ (it is recruited, not seizing on its own), while its x0 draws sit
mostly above the threshold -2.05 (79% of them), so a re-labelling by the
threshold rule called it EZ.  The twin is built by ``twin_from_fit`` from a
small stand-in fit (a real NUTS fit takes minutes; ``test_twin_update`` runs one).
"""

from __future__ import annotations

import re
import types

import numpy as np
import pytest

import braintwin as bt
from braintwin import whatif as W
from braintwin.report import render_report
from braintwin.twin import Twin
from braintwin.vep import LabelTable, VEPPriors
from braintwin.vep.labels import label_probabilities, label_summary, labels_to_info, twin_labels
from braintwin.vep.workflow import candidate_resections, twin_from_fit

REGIONS = ["rHC", "rPHC", "rAMYG", "rTCI", "rTCPOL", "rTCC", "rTCS", "rTCV", "rA1", "rIA", "lHC", "lPHC", "lAMYG", "lTCPOL"]
N_CHAINS, N_DRAWS = 2, 50


@pytest.fixture(scope="module")
def twin():
    conn = bt.Connectome.builtin("tvb76").subset(REGIONS).normalized("max").with_zero_diagonal()
    N = conn.n_regions
    rng = np.random.default_rng(0)
    x0 = np.full((N_CHAINS * N_DRAWS, N), -3.5) + rng.normal(0, 0.05, (N_CHAINS * N_DRAWS, N))
    x0[:, REGIONS.index("lPHC")] = -1.6 + rng.normal(0, 0.05, N_CHAINS * N_DRAWS)
    # rTCI: 79 of 100 draws above -2.05
    x0[:, REGIONS.index("rTCI")] = np.where(np.arange(N_CHAINS * N_DRAWS) < 79, -2.0, -2.2)
    K = 0.2 * np.exp(rng.normal(0, 0.1, N_CHAINS * N_DRAWS))
    p_ez, p_pz = np.zeros(N), np.zeros(N)
    p_ez[REGIONS.index("lPHC")] = 1.0
    p_ez[REGIONS.index("rTCI")], p_pz[REGIONS.index("rTCI")] = 0.10, 0.85
    label = np.array(["healthy"] * N, dtype="<U7")
    label[REGIONS.index("lPHC")], label[REGIONS.index("rTCI")] = "EZ", "PZ"
    table = LabelTable(tuple(REGIONS), label, p_ez, p_pz, 1.0 - p_ez - p_pz,
                       {"ez_rule": "simulation", "pz_rule": "recruited", "ez_threshold": -2.05, "pz_threshold": -2.45, "n_draws": 100})
    gain = np.abs(rng.normal(0, 1, (4, N)))
    problem = types.SimpleNamespace(tau0=20.0, I1=3.1, gain=gain, observation=rng.normal(0, 1, (30, 4)), dt=0.25,
                                    steps_per_sample=1, priors=VEPPriors(), person_prior=types.SimpleNamespace(to_dict=dict))
    fit = types.SimpleNamespace(problem=problem, problems=[], labels=table, timings={"total": 1.0}, nuts=None, diagnostics=None,
                                samples={"x0": x0.reshape(N_CHAINS, N_DRAWS, N), "K": K.reshape(N_CHAINS, N_DRAWS)})
    return twin_from_fit(fit, conn, subject_id="sub-map"), table


def test_the_threshold_rule_would_disagree(twin):
    t, _ = twin
    # the stand-in fit reproduces the old symptom: re-labelled by x0 > -2.05, rTCI has a 79% chance of EZ
    assert label_probabilities(t.posterior["x0"])["EZ"][REGIONS.index("rTCI")] == pytest.approx(0.79)


def test_demo_whatif_and_report_show_the_twins_map(twin, tmp_path):
    t, table = twin
    assert t.posterior.info["region_labels"] == labels_to_info(table)
    back = Twin.load(t.save(tmp_path / "map.twin.h5"))
    for tw in (t, back):
        got = twin_labels(tw)
        assert got.ez == ["lPHC"] and got.pz == ["rTCI"]
        np.testing.assert_array_equal(got.p_ez, table.p_ez)
        # the demo's printed map
        assert label_summary(tw) == "EZ lPHC; PZ rTCI"
        # what-if's EZ hypothesis, and the resections the demo compares
        assert bt.vep.ez_hypothesis(tw) == [REGIONS.index("lPHC")]
        assert candidate_resections(tw)[:2] == ["resect=lPHC", "resect=lPHC,rTCI"]
        # the report: label PZ, and the fit's 10% chance of EZ (not the threshold rule's 79%)
        html = render_report(tw, figures=False)
        row = re.search(r"<tr><td>rTCI</td>(.*?)</tr>", html).group(1)
        assert row.startswith("<td>PZ</td><td>10%</td><td>85%</td>"), row
    pred = W.predict(back, "resect=lPHC", n_samples=4, seed=0, duration=50.0)
    assert pred.ez == ["lPHC"]
