"""What-if interventions and predictions under uncertainty (braintwin.whatif)."""

from __future__ import annotations

import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import braintwin as bt
from braintwin import whatif as W
from braintwin.errors import InputError
from braintwin.simulate import PulseTrain, Sine, Step

# A synthetic VEP patient on 14 temporal/limbic regions of tvb76 (10 right, 4 left).
# lPHC is the EZ (x0 = -1.6); lHC, lAMYG and lTCPOL are PZ (x0 = -2.2: below the
# critical -2.05, they seize only when driven); every other region is healthy (-3.5).
REGIONS = ["rHC", "rPHC", "rAMYG", "rTCI", "rTCPOL", "rTCC", "rTCS", "rTCV", "rA1", "rIA", "lHC", "lPHC", "lAMYG", "lTCPOL"]
EZ = ["lPHC"]
PZ = ["lHC", "lAMYG", "lTCPOL"]
K_TRUE, TAU0 = 2.0, 30.0
SIM = {"dt": 0.1, "duration": 600.0, "delays": False, "method": "heun"}
N_DRAWS = 200


@pytest.fixture(scope="module")
def conn():
    return bt.Connectome.builtin("tvb76").subset(REGIONS).normalized("max").with_zero_diagonal()


@pytest.fixture(scope="module")
def truth(conn):
    x0 = np.full(conn.n_regions, -3.5)
    x0[[REGIONS.index(r) for r in EZ]] = -1.6
    x0[[REGIONS.index(r) for r in PZ]] = -2.2
    return x0


@pytest.fixture(scope="module")
def patient(conn, truth):
    """A twin-like object with a fake posterior; checks that the true patient's seizure propagates."""
    N = conn.n_regions
    init = np.array([np.full(N, -2.0), np.full(N, 4.0)])
    res = bt.simulate(conn, bt.models.VEP2D(x0=truth, K=K_TRUE, tau0=TAU0), monitors=["subsample:1.0"], outputs=["x"],
                      initial=init, **SIM)
    seized = (res["subsample"].data[:, 0, :] > -0.5).any(axis=0)
    assert [REGIONS[i] for i in np.flatnonzero(seized)] == sorted(EZ + PZ, key=REGIONS.index), "fixture: the seizure must recruit the PZ"
    # without coupling only the EZ seizes (the PZ is recruited through the network)
    res0 = bt.simulate(conn, bt.models.VEP2D(x0=truth, K=0.0, tau0=TAU0), monitors=["subsample:1.0"], outputs=["x"], initial=init, **SIM)
    assert [REGIONS[i] for i in np.flatnonzero((res0["subsample"].data[:, 0, :] > -0.5).any(axis=0))] == EZ
    rng = np.random.default_rng(7)
    samples = {"x0": truth + rng.normal(0.0, 0.05, (N_DRAWS, N)), "K": K_TRUE * np.exp(rng.normal(0.0, 0.1, N_DRAWS)),
               "eps": np.abs(rng.normal(0.1, 0.01, N_DRAWS))}  # eps: not a model parameter, must be ignored
    post = types.SimpleNamespace(samples=samples, diagnostics={"divergences": 0}, method="fake")
    return types.SimpleNamespace(connectome=conn, model=bt.models.VEP2D(x0=truth, K=K_TRUE, tau0=TAU0), coupling=None,
                                 simulation=dict(SIM), posterior=post, subject_id="sub-test", data=None)


@pytest.fixture(scope="module")
def scenario(patient):
    return W.Scenario.from_twin(patient, n_samples=10, seed=1)


# ---------------------------------------------------------------------------
# epilepsy: resection


def test_resecting_the_ez_stops_propagation_and_a_healthy_region_does_not(patient):
    ez = W.predict(patient, W.resect(EZ), n_samples=64, seed=3)
    assert ez.ez == EZ
    m = ez.metrics()
    assert m["baseline"]["p_propagation"] >= 0.95
    assert m["p_stopped"] >= 0.95
    assert m["intervention"]["n_recruited_mean"] < m["baseline"]["n_recruited_mean"]
    assert m["intervention"]["recruitment_probability"]["lPHC"] == 0.0  # a resected region never seizes
    healthy = W.predict(patient, W.resect("rA1"), n_samples=64, seed=3)
    mh = healthy.metrics()
    assert mh["intervention"]["p_propagation"] >= 0.9
    assert mh["p_stopped"] < 0.5
    # the same draws and seeds: the baselines agree exactly
    np.testing.assert_array_equal(ez.baseline["recruited"], healthy.baseline["recruited"])
    assert "spreads" in ez.summary() and "research" in ez.summary()
    fig = ez.plot()
    assert len(fig.axes) >= 2


def test_smallest_resection_finds_the_ez(patient):
    s = W.smallest_resection(patient, n_samples=48, seed=0, max_regions=2)
    assert s.found and s.regions == EZ
    assert s.p_stopped >= 0.95
    assert set(EZ + PZ) <= set(s.candidates)  # default candidates: highest posterior x0
    assert s.baseline_p_propagation >= 0.95
    assert "lPHC" in s.summary()
    greedy = W.smallest_resection(patient, candidates=["rA1", "lHC", "lPHC"], method="greedy", n_samples=32)
    assert greedy.regions == EZ


def test_compare_ranks_by_outcome_then_cost(patient):
    c = W.compare(patient, [W.resect("rA1"), W.resect(EZ + PZ), "resect=lPHC", W.shift_params(x0=-1.0, regions=EZ)], n_samples=32)
    names = [r["intervention"] for r in c.rows]
    assert names[-1] == "resect rA1"
    # equal outcome (no spread): the drug (nothing resected) ranks before the single resection, before the larger one
    assert names.index("shift x0 by -1 in lPHC") < names.index("resect lPHC") < names.index("resect lPHC, lHC, lAMYG, lTCPOL")
    assert c.rows[0]["value"] <= 0.05 and c.baseline["value"] >= 0.95
    assert [r["rank"] for r in c.rows] == [1, 2, 3, 4]
    lo, hi = c.rows[-1]["interval"]
    assert lo <= c.rows[-1]["value"] <= hi
    html = c.to_html()
    assert html.count("<tr") == 6 and "baseline" in html
    assert "resect lPHC" in str(c)
    assert c.plot().axes


# ---------------------------------------------------------------------------
# stimulation


def test_stimulation_changes_its_own_region_more_than_a_distant_one(conn):
    twin = types.SimpleNamespace(connectome=conn, model=bt.models.MontbrioPazoRoxin(eta=-5.0), coupling={"name": "Linear", "a": 0.5},
                                 simulation={"dt": 0.05, "duration": 400.0, "noise": 0.01, "speed": 3.0}, posterior=None)
    p = W.predict(twin, W.stimulate("rA1", PulseTrain(amplitude=5.0, period=50.0, width=5.0)), outcome="evoked", n_samples=4,
                  transient=100.0)
    resp = p.metrics()["response_mean"]
    assert p.stimulated == ["rA1"]
    assert resp["rA1"] > 3 * resp["lTCPOL"]  # another hemisphere, no direct tract
    assert resp["rA1"] == max(resp.values())
    assert p.metrics()["strongest"][0] == "rA1"
    assert np.all(p.baseline["response"] == 0)
    assert p.plot().axes


# ---------------------------------------------------------------------------
# composition


def _all_kinds():
    return [
        W.resect(["rHC"]),
        W.disconnect([("rTCI", "rTCC")]),
        W.lesion("lPHC-lHC", weight_factor=0.5, speed_factor=0.25),
        W.stimulate(["rA1", "rIA"], Sine(amplitude=0.3, frequency=10.0)),
        W.set_params(x0=-2.5, regions=["rTCS"]),
        W.scale_params(K=0.8),
        W.shift_params(x0=-0.1),
        W.scale_coupling(0.7),
        W.scale_interhemispheric(0.5),
    ]


def test_composing_equals_applying_in_turn(scenario):
    ops = _all_kinds()
    step = scenario
    for op in ops:
        step = op.apply(step)
    together = W.compose(*ops).apply(scenario)
    assert together.equals(step)
    assert (ops[0] + ops[1] + ops[2]).apply(scenario).equals(ops[2].apply(ops[1].apply(ops[0].apply(scenario))))
    assert ((ops[0] + ops[1]) + ops[2]).describe() == (ops[0] + (ops[1] + ops[2])).describe()
    assert together.history == tuple(op.describe() for op in ops)
    # order matters where it should: set then shift differs from shift then set
    a = (W.set_params(x0=-3.0) + W.shift_params(x0=0.5)).apply(scenario)
    b = (W.shift_params(x0=0.5) + W.set_params(x0=-3.0)).apply(scenario)
    assert not a.equals(b)
    np.testing.assert_allclose(a.draws["x0"], -2.5)
    np.testing.assert_allclose(b.draws["x0"], -3.0)


@settings(max_examples=25, deadline=None)
@given(order=st.permutations(range(9)), k=st.integers(1, 9))
def test_any_composition_equals_applying_in_turn(scenario, order, k):
    ops = [_all_kinds()[i] for i in order[:k]]
    step = scenario
    for op in ops:
        step = op(step)
    assert W.compose(*ops).apply(scenario).equals(step)
    head, tail = W.compose(*ops[: k // 2]), W.compose(*ops[k // 2 :])
    assert (head + tail).apply(scenario).equals(step)


def test_edges_with_hyphenated_labels():
    w = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], float)
    conn = bt.Connectome(w, 10 * w, labels=["ctx-lh-a", "ctx-lh-b", "ctx-rh-a"], warn=False)
    out = W.disconnect("ctx-lh-a-ctx-lh-b").apply(W.Scenario(conn))
    np.testing.assert_array_equal(out.connectome.weights, [[0, 0, 1], [0, 0, 1], [1, 1, 0]])
    assert W.resect("ctx-rh-a").cost(conn) == 1  # a bare connectome: cost in regions (no areas)


def test_interventions_change_the_right_things_and_never_the_baseline(scenario, conn):
    w0 = np.array(scenario.connectome.weights)
    x0 = np.array(scenario.draws["x0"])
    i, j = REGIONS.index("lPHC"), REGIONS.index("lHC")
    # resect: row and column zero, silenced in the model and in every draw, marked removed
    r = W.resect(["rHC", 1]).apply(scenario)
    assert not np.any(r.connectome.weights[[0, 1], :]) and not np.any(r.connectome.weights[:, [0, 1]])
    np.testing.assert_array_equal(r.draws["x0"][:, [0, 1]], -5.0)
    np.testing.assert_array_equal(r.draws["x0"][:, 2:], x0[:, 2:])
    assert r.removed == {0, 1} and r.model.values["x0"][0] == -5.0
    # lesion: weights x0.5 and lengths / 0.25 (4x the delay) on both directions of that tract only
    l = W.lesion([("lPHC", "lHC")], weight_factor=0.5, speed_factor=0.25).apply(scenario)
    assert l.connectome.weights[i, j] == 0.5 * w0[i, j] and l.connectome.weights[j, i] == 0.5 * w0[j, i]
    np.testing.assert_allclose(l.connectome.delays(3.0)[i, j], 4 * conn.delays(3.0)[i, j])
    changed = np.argwhere(l.connectome.weights != w0)
    assert {tuple(x) for x in changed} == {(i, j), (j, i)}
    # directed disconnection: only the tract from lPHC into lHC
    d = W.disconnect("lPHC>lHC").apply(scenario)
    assert d.connectome.weights[j, i] == 0 and d.connectome.weights[i, j] == w0[i, j]
    # interhemispheric scaling
    h = W.scale_interhemispheric(0.5).apply(scenario)
    hemi = np.asarray(conn.hemispheres)
    inter = hemi[:, None] != hemi[None, :]
    assert inter.any()
    np.testing.assert_allclose(h.connectome.weights[inter], 0.5 * w0[inter])
    np.testing.assert_allclose(h.connectome.weights[~inter], w0[~inter])
    # coupling: the Difference coupling's a (G) scales
    g = W.scale_coupling(0.5).apply(scenario)
    assert g.coupling.values["a"] == 0.5 * scenario.coupling.values["a"]
    # per-region set of a global draw promotes it to per region
    k = W.set_params(K=0.0, regions=["rA1"]).apply(scenario)
    assert k.draws["K"].shape == (10, len(REGIONS)) and np.all(k.draws["K"][:, REGIONS.index("rA1")] == 0)
    # stimulation: same pattern composes, weights add
    st = (W.stimulate("rA1", Step(0.2)) + W.stimulate(["rA1", "rIA"], Step(0.2))).apply(scenario)
    assert st.stimulus_weights()[REGIONS.index("rA1")] == 2.0 and st.stimulus_weights()[REGIONS.index("rIA")] == 1.0
    # the baseline scenario is untouched and read-only
    np.testing.assert_array_equal(scenario.connectome.weights, w0)
    np.testing.assert_array_equal(scenario.draws["x0"], x0)
    assert scenario.removed == frozenset() and scenario.stimulus is None
    with pytest.raises(ValueError):
        scenario.draws["x0"][0, 0] = 0.0


def test_costs(scenario, conn):
    c = W.resect(["lPHC", "lHC"]).cost_parts(scenario)
    assert c["regions"] == 2 and c["area"] == pytest.approx(float(np.sum(conn.areas[[11, 10]])))
    assert W.resect(["lPHC", "lHC"]).cost(scenario) == pytest.approx(c["area"])
    assert W.disconnect([("lPHC", "lHC"), ("lPHC", "lAMYG")]).cost_parts(scenario)["tracts"] == 2
    assert W.stimulate(["rA1", "rIA"], Step(0.1)).cost_parts(scenario)["stimulated"] == 2
    assert W.shift_params(x0=-0.3).cost(scenario) == 0


# ---------------------------------------------------------------------------
# other outcomes: resting state, lesions (MS), ageing


def test_fc_and_spectrum_outcomes_on_given_parameter_sets(conn):
    twin = types.SimpleNamespace(connectome=conn, model=bt.models.MontbrioPazoRoxin(eta=-5.0, J=15.0), coupling={"name": "Linear", "a": 0.5},
                                 simulation={"dt": 0.05, "duration": 600.0, "noise": (0.01, 0.02), "speed": 3.0}, posterior=None)
    params = {"eta": np.array([-5.0, -4.9, -5.1])}
    fc = W.predict(twin, W.scale_interhemispheric(0.0) + W.scale_coupling(0.5), outcome="fc", params=params, transient=100.0)
    m = fc.metrics()
    assert fc.n_valid == 3 and m["fc_change"] > 0 and 0 < m["fc_change_interval"][1]
    assert -1 <= m["fc_similarity"] <= 1
    spec = W.predict(twin, W.lesion("all", speed_factor=0.5), outcome="spectrum", params=params, transient=100.0, fmax=100.0)
    ms = spec.metrics()
    assert np.isfinite(ms["peak_shift_hz"]) and np.isfinite(ms["baseline"]["peak_hz"])
    assert "spectral peak" in spec.summary()
    assert fc.plot().axes and spec.plot().axes


# ---------------------------------------------------------------------------
# errors and parsing


def test_errors_for_unknown_regions_parameters_and_options(patient, scenario):
    with pytest.raises(InputError, match=r"unknown region 'lphcx'"):
        W.resect("lphcx").apply(scenario)
    with pytest.raises(InputError, match=r"did you mean 'lPHC'"):
        W.resect("lphc").apply(scenario)
    with pytest.raises(InputError, match="out of range"):
        W.resect(99).apply(scenario)
    with pytest.raises(InputError, match="unknown region"):
        W.disconnect("lPHC-nowhere").apply(scenario)
    with pytest.raises(InputError, match="unknown region"):
        W.stimulate(["XX"], Step(1.0)).apply(scenario)
    with pytest.raises(InputError, match="unknown parameter 'x1'"):
        W.set_params(x1=0.0).apply(scenario)
    with pytest.raises(InputError, match="listed twice"):
        W.resect(["lPHC", "lPHC"]).apply(scenario)
    with pytest.raises(InputError, match="resected"):
        (W.resect("rA1") + W.stimulate("rA1", Step(1.0))).apply(scenario)
    with pytest.raises(InputError, match="one temporal pattern"):
        (W.stimulate("rA1", Step(1.0)) + W.stimulate("rIA", Sine())).apply(scenario)
    with pytest.raises(InputError):
        W.lesion("all", speed_factor=0.0)
    with pytest.raises(InputError, match="unknown outcome"):
        W.predict(patient, None, outcome="mood")
    with pytest.raises(InputError, match="unknown option"):
        W.predict(patient, None, n_samples=2, colour="red")
    with pytest.raises(InputError, match="unknown region"):
        W.predict(patient, W.resect("nowhere"), n_samples=2)


def test_parse_interventions():
    op = W.parse_interventions(resect="lPHC,lHC", stimulate="rA1:pulse:amp=1,period=100,width=5")
    assert isinstance(op, W.Composite) and [type(p) for p in op.parts] == [W.Resect, W.Stimulate]
    assert op.parts[0].regions == ["lPHC", "lHC"]
    assert op.parts[1].pattern == PulseTrain(amplitude=1.0, period=100.0, width=5.0)
    assert W.Intervention.from_cli(resect="lPHC").describe() == "resect lPHC"
    assert W.parse_interventions() is None
    lz = W.parse_interventions(lesion="lPHC-lHC,lHC-lAMYG:weight=0.5,speed=0.25")
    assert lz.edges == ["lPHC-lHC", "lHC-lAMYG"] and lz.weight_factor == 0.5 and lz.speed_factor == 0.25
    assert W.parse_interventions(lesion="all:speed=0.7").edges == "all"
    sp = W.parse_interventions(set_params="x0[lPHC,lHC]=-3,K=0.5")
    assert [p.describe() for p in sp.parts] == ["set x0 to -3 in lPHC, lHC", "set K to 0.5"]
    assert W.parse_interventions(scale_coupling="0.8", scale_interhemispheric=["0.5"]).describe() == "global coupling x0.8 + interhemispheric weights x0.5"
    assert isinstance(W.parse_interventions(stimulate="rA1:sine:amp=0.5,freq=10").pattern, Sine)
    assert W.parse_interventions(stimulate="rA1:dc:amp=0.2,onset=100").pattern == Step(amplitude=0.2, onset=100.0)
    two = W.parse_interventions(resect="lPHC; lHC")
    assert len(two.parts) == 2
    full = W.parse_intervention("resect=lPHC; shift_params=x0=-0.3")
    assert full.describe() == "resect lPHC + shift x0 by -0.3"
    assert isinstance(W.parse_intervention("baseline"), W.NoIntervention)
    for bad in (dict(stimulate="rA1:laser:amp=1"), dict(stimulate="rA1:pulse:colour=1"), dict(stimulate="rA1"),
                dict(lesion="a-b:depth=2"), dict(set_params="x0"), dict(scale_coupling="lots"), dict(teleport="lPHC")):
        with pytest.raises(InputError):
            W.parse_interventions(**bad)


def test_label_probabilities_and_ez_hypothesis(patient, truth):
    p = bt.vep.label_probabilities(patient.posterior.samples["x0"])  # the EZ/PZ rule lives in the VEP workflow
    np.testing.assert_allclose(p["EZ"] + p["PZ"] + p["healthy"], 1.0)
    assert p["EZ"][REGIONS.index("lPHC")] == 1.0 and p["PZ"][REGIONS.index("lHC")] > 0.95 and p["healthy"][0] == 1.0
    assert bt.vep.ez_hypothesis(patient) == [REGIONS.index("lPHC")]
    assert bt.vep.ez_hypothesis(patient, ez=["lHC"]) == [REGIONS.index("lHC")]


# ---------------------------------------------------------------------------
# the outcome registry: an outcome registered from outside the package


@W.register_outcome("toy_peak", "largest value of the recorded output, per region (test outcome)",
                    options={"floor": "value added to every peak (0)"}, defaults={"floor": 0.0})
class _ToyPeak(W.Outcome):
    monitor = "subsample"

    def output(self, model, variable, outputs):
        return model.seizure_variable

    def prepare(self, twin, scenario, **context):
        return {"n": scenario.n_regions}

    def measure(self, runs):
        f = runs.options["floor"]
        peak = lambda x: np.nanmax(x, axis=1) + f  # noqa: E731
        assert runs.context["n"] == runs.base.n_regions
        return {"peak": peak(runs.base_data[runs.valid])}, {"peak": peak(runs.treated_data[runs.valid])}, {}

    def metrics(self, p):
        return {"drop": float(np.mean(p.baseline["peak"] - p.treated["peak"]))}

    def primary(self, p, m):
        return m["drop"], (m["drop"], m["drop"]), "drop of the peak"


def test_an_outcome_registered_outside_the_package_is_used_by_predict(patient):
    assert "toy_peak" in W.available_outcomes()
    p = W.predict(patient, W.resect(EZ), outcome="toy_peak", n_samples=4, seed=3, floor=10.0)
    ref = W.predict(patient, W.resect(EZ), outcome="seizure", n_samples=4, seed=3)  # same draws, same seeds
    assert p.outcome == "toy_peak" and p.settings["output"] == "x" and p.settings["floor"] == 10.0
    i = REGIONS.index("lPHC")
    # the EZ seizes (x above -0.5) in the baseline; resected and silenced (x0 = -5), it never does
    assert np.all(p.baseline["peak"][:, i] > 10.0 - 0.5) and np.all(p.treated["peak"][:, i] < 10.0 - 0.5)
    assert np.array_equal(p.baseline["peak"][:, i] > 9.5, ref.baseline["recruited"][:, i])
    assert p.primary()[0] > 0 and "drop of the peak" in p.summary().lower()
    with pytest.raises(InputError):
        W.predict(patient, W.resect(EZ), outcome="toy_peak", n_samples=2, threshold=0.0)  # a seizure option, not toy_peak's
    with pytest.raises(InputError):
        W.register_outcome("toy_peak", "again")(_ToyPeak)
    with pytest.raises(InputError):
        W.predict(patient, outcome="no_such_outcome")
