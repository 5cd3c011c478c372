"""The Connectome class: validation, derived quantities, builtins, hemispheres, plots."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import braintwin as bt
from braintwin.connectome import BUILTINS, infer_hemispheres
from braintwin.errors import BraintwinWarning, InputError

LABELS = ["lA", "lB", "rA", "rB"]
W = np.array([[0, 1, 0, 2], [1, 0, 3, 0], [0, 3, 0, 4], [2, 0, 4, 0]], float)
L = np.array([[0, 10, 0, 20], [10, 0, 30, 0], [0, 30, 0, 40], [20, 0, 40, 0]], float)
C = np.array([[-30, 0, 0], [-20, 10, 5], [30, 0, 0], [20, 10, 5]], float)


def tiny(**changes) -> bt.Connectome:
    fields = dict(weights=W, tract_lengths=L, labels=LABELS, centres=C, source="tiny.zip")
    fields.update(changes)
    return bt.Connectome(**fields)


@pytest.fixture
def quiet():
    """Fail the test if any warning is emitted."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --------------------------------------------------------------------- basics


def test_basic_properties(quiet):
    c = tiny()
    assert c.n_regions == len(c) == 4
    assert c.n_edges == 8
    assert c.density == pytest.approx(8 / 12)
    assert c.is_symmetric
    assert c.self_connections == 0
    assert c.disconnected == []
    assert c.labels == LABELS
    assert c.hemispheres.tolist() == [False, False, True, True]
    assert c.cortical.all() and c.areas is None and c.orientations is None
    assert c.weights.dtype == np.float64
    assert "tiny.zip" in repr(c) and "4 regions" in repr(c)


def test_defaults_for_optional_fields(quiet):
    c = bt.Connectome(W, L)
    assert c.labels == ["region_000", "region_001", "region_002", "region_003"]
    assert np.array_equal(c.centres, np.zeros((4, 3)))
    assert c.hemispheres.shape == (4,) and c.cortical.all()


def test_arrays_are_read_only_copies(quiet):
    w = W.copy()
    c = tiny(weights=w)
    w[0, 1] = 99.0
    assert c.weights[0, 1] == 1.0
    with pytest.raises(ValueError):
        c.weights[0, 1] = 5.0
    with pytest.raises(ValueError):
        c.tract_lengths[0, 1] = 5.0


def test_delays_known_values(quiet):
    c = tiny()
    d = c.delays(2.0)
    assert np.array_equal(d, L / 2.0)
    assert d[0, 3] == 10.0  # 20 mm at 2 mm/ms
    assert c.delays(speed_mm_per_ms=10)[2, 3] == 4.0


@pytest.mark.parametrize("speed", [0, -1.0, float("nan"), float("inf"), "fast"])
def test_delays_bad_speed(speed):
    with pytest.raises(InputError) as e:
        tiny().delays(speed)
    assert e.value.field == "speed" and "tiny.zip" in str(e.value)


def test_normalized_max(quiet):
    c = tiny()
    n = c.normalized("max")
    assert n.weights.max() == 1.0
    assert np.allclose(n.weights, W / 4.0)
    assert np.array_equal(c.weights, W)  # original untouched
    assert np.array_equal(n.tract_lengths, L) and n.labels == LABELS


def test_normalized_rowsum_leaves_zero_rows(quiet):
    w = W.copy()
    w[1] = 0.0
    w[:, 1] = 0.0
    c = bt.Connectome(w, L, LABELS, warn=False)
    n = c.normalized("rowsum")
    sums = n.weights.sum(axis=1)
    assert np.allclose(sums[[0, 2, 3]], 1.0)
    assert sums[1] == 0.0
    assert np.allclose(n.weights[0], [0, 0, 0, 1])
    assert np.allclose(n.weights[3], [2 / 6, 0, 4 / 6, 0])


def test_normalized_log1p_and_none(quiet):
    c = tiny()
    assert np.allclose(c.normalized("log1p").weights, np.log1p(W))
    assert np.array_equal(c.normalized(None).weights, W)
    assert np.array_equal(c.normalized("none").weights, W)
    assert np.array_equal(c.normalized("MAX").weights, W / 4)


def test_thresholded_absolute_and_proportional(quiet):
    c = tiny()
    t = c.thresholded(3.0)
    assert np.array_equal(t.weights, np.where(W >= 3, W, 0.0))
    assert np.array_equal(t.tract_lengths, L) and t.labels == LABELS and np.array_equal(c.weights, W)
    # the strongest half of the 8 non-zero weights (4, 4, 3, 3, 2, 2, 1, 1) are the 3s and 4s
    assert np.array_equal(c.thresholded(proportion=0.5).weights, t.weights)
    # a cut inside a tie keeps the whole tie: 30 % of 8 -> 3 weights, but both 3s stay
    assert np.array_equal(c.thresholded(proportion=0.3).weights, t.weights)
    assert np.array_equal(c.thresholded(proportion=1.0).weights, W)
    assert t.is_symmetric and t.n_edges == 4


def test_thresholded_errors():
    with pytest.raises(InputError) as e:
        tiny().thresholded()
    assert e.value.field == "threshold"
    with pytest.raises(InputError):
        tiny().thresholded(1.0, proportion=0.5)
    for bad in (1.5, 0.0, float("nan"), "half"):
        with pytest.raises(InputError) as e:
            tiny().thresholded(proportion=bad)
        assert e.value.field == "proportion" and "tiny.zip" in str(e.value)
    for bad in (float("inf"), "strong"):
        with pytest.raises(InputError) as e:
            tiny().thresholded(bad)
        assert e.value.field == "min_weight"


def test_thresholded_without_tracts_is_unchanged(quiet):
    c = bt.Connectome(np.zeros((4, 4)), L, LABELS, warn=False)
    assert np.array_equal(c.thresholded(proportion=0.5).weights, np.zeros((4, 4)))


def test_tvb76_weights_are_three_strength_categories(quiet):
    c = bt.Connectome.builtin("tvb76").normalized("max").with_zero_diagonal()
    w = c.weights[c.weights > 0]
    assert np.isclose(w[:, None], [1 / 3, 2 / 3, 1.0]).any(axis=1).mean() > 0.95  # weak, moderate, strong
    strong = c.thresholded(1.0)
    assert strong.n_edges == int((w == 1.0).sum()) and set(np.unique(strong.weights)) == {0.0, 1.0}


def test_normalized_unknown_mode():
    with pytest.raises(InputError) as e:
        tiny().normalized("zscore")
    assert e.value.field == "normalize" and "rowsum" in str(e.value)


def test_normalized_all_zero_weights(quiet):
    c = bt.Connectome(np.zeros((2, 2)), np.zeros((2, 2)), warn=False)
    assert np.array_equal(c.normalized("max").weights, np.zeros((2, 2)))


def test_with_zero_diagonal(quiet):
    w = W + np.eye(4)
    c = bt.Connectome(w, L, LABELS, warn=False)
    assert c.self_connections == 4
    z = c.with_zero_diagonal()
    assert z.self_connections == 0
    assert np.array_equal(z.weights, W)
    assert c.self_connections == 4


def test_subset_reorders_by_label(quiet):
    c = tiny(areas=[1.0, 2.0, 3.0, 4.0], orientations=np.eye(4, 3))
    s = c.subset(["rB", "lA"])
    assert s.labels == ["rB", "lA"]
    assert np.array_equal(s.weights, [[0, 2], [2, 0]])
    assert np.array_equal(s.tract_lengths, [[0, 20], [20, 0]])
    assert np.array_equal(s.centres, C[[3, 0]])
    assert s.hemispheres.tolist() == [True, False]
    assert s.areas.tolist() == [4.0, 1.0]
    assert np.array_equal(s.orientations, np.eye(4, 3)[[3, 0]])
    assert s.source == c.source


def test_subset_by_index_and_mask(quiet):
    c = tiny()
    assert c.subset([2, 0, 1]).labels == ["rA", "lA", "lB"]
    assert c.subset([-1]).labels == ["rB"]
    assert c.subset(np.array([True, False, True, False])).labels == ["lA", "rA"]
    # reordering everything keeps the graph: W[p][:, p]
    p = [3, 1, 0, 2]
    assert np.array_equal(c.subset(p).weights, W[np.ix_(p, p)])


@pytest.mark.parametrize(
    "regions, needle",
    [
        (["lA", "nope"], "'nope'"),
        (["lA", "lA"], "twice"),
        ([7], "out of range"),
        ([], "no regions"),
        (np.array([True, False]), "mask"),
    ],
)
def test_subset_errors(regions, needle):
    with pytest.raises(InputError) as e:
        tiny().subset(regions)
    assert needle in str(e.value) and e.value.field == "regions" and "tiny.zip" in str(e.value)


def test_subset_unknown_label_suggests():
    with pytest.raises(InputError, match="did you mean 'rA'"):
        tiny().subset(["ra"])


def test_copy_is_independent(quiet):
    c = tiny()
    d = c.copy()
    d.labels.append("x")
    assert c.labels == LABELS
    assert d.weights is not c.weights and np.array_equal(d.weights, c.weights)


def test_summary_known_values(quiet):
    s = tiny().summary(speed=5.0)
    assert s["n_regions"] == 4 and s["n_edges"] == 8
    assert s["density"] == pytest.approx(8 / 12)
    assert (s["weight_min"], s["weight_max"]) == (1.0, 4.0)
    assert (s["tract_length_min"], s["tract_length_max"]) == (10.0, 40.0)
    assert (s["delay_min_ms"], s["delay_max_ms"]) == (2.0, 8.0)
    assert s["speed_mm_per_ms"] == 5.0
    assert s["symmetric"] is True and s["self_connections"] == 0
    assert s["disconnected_regions"] == [] and s["source"] == "tiny.zip"
    assert (s["n_left"], s["n_right"], s["n_cortical"]) == (2, 2, 4)


def test_summary_without_edges(quiet):
    s = bt.Connectome(np.eye(2), np.zeros((2, 2)), ["a", "b"], warn=False).summary()
    assert s["n_edges"] == 0 and s["delay_max_ms"] is None and s["weight_max"] == 1.0
    assert s["disconnected_regions"] == ["a", "b"]


# ----------------------------------------------------------------- validation


def _error(**changes) -> InputError:
    with pytest.raises(InputError) as e:
        tiny(**changes)
    assert "tiny.zip" in str(e.value)
    return e.value


def test_error_non_square():
    e = _error(weights=np.ones((3, 4)))
    assert e.field == "weights" and "square" in e.problem


def test_error_empty():
    e = _error(weights=np.zeros((0, 0)), tract_lengths=np.zeros((0, 0)), labels=[])
    assert e.field == "weights" and "empty" in e.problem


def test_error_shape_mismatch():
    e = _error(tract_lengths=np.ones((3, 3)))
    assert e.field == "tract_lengths" and "(3, 3)" in e.problem and "(4, 4)" in e.problem


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_error_non_finite(bad):
    w = W.copy()
    w[2, 1] = bad
    e = _error(weights=w)
    assert e.field == "weights" and "NaN" in e.problem and "'lB'" in e.problem and "'rA'" in e.problem


def test_error_non_numeric():
    e = _error(weights=[["a", "b"], ["c", "d"]])
    assert e.field == "weights" and "real numbers" in e.problem


def test_error_negative_weight_names_pair():
    w = W.copy()
    w[3, 0] = -0.5
    e = _error(weights=w)
    assert e.field == "weights" and "-0.5" in e.problem and "from 'lA' to 'rB'" in e.problem


def test_error_negative_length():
    t = L.copy()
    t[0, 1] = -3
    e = _error(tract_lengths=t)
    assert e.field == "tract_lengths" and "negative" in e.problem


def test_error_zero_length_with_weight_names_pair():
    t = L.copy()
    t[2, 1] = 0.0
    e = _error(tract_lengths=t)
    assert e.field == "tract_lengths"
    assert "from 'lB' to 'rA'" in e.problem and "allow_zero_lengths" in e.problem


def test_zero_length_allowed_on_request_and_on_diagonal(quiet):
    t = L.copy()
    t[2, 1] = 0.0
    c = tiny(tract_lengths=t, allow_zero_lengths=True)
    assert c.delays(3.0)[2, 1] == 0.0
    # the diagonal never needs a length
    bt.Connectome(W + np.eye(4), L, LABELS, warn=False)


def test_error_label_count():
    e = _error(labels=["a", "b"])
    assert e.field == "labels" and "2 labels for 4 regions" in e.problem


def test_error_duplicate_labels():
    e = _error(labels=["a", "b", "a", "c"])
    assert e.field == "labels" and "duplicate" in e.problem and "'a'" in e.problem


def test_error_empty_label():
    assert _error(labels=["a", " ", "b", "c"]).field == "labels"


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(centres=np.zeros((4, 2))), "centres"),
        (dict(centres=np.full((4, 3), np.nan)), "centres"),
        (dict(hemispheres=[0, 1, 2, 1]), "hemispheres"),
        (dict(hemispheres=[True, False]), "hemispheres"),
        (dict(cortical=[1, 1, 1]), "cortical"),
        (dict(areas=[1, -2, 3, 4]), "areas"),
        (dict(orientations=np.zeros((4, 2))), "orientations"),
        (dict(labels="abcd"), "labels"),
    ],
)
def test_error_optional_fields(changes, field):
    assert _error(**changes).field == field


# -------------------------------------------------------------------- warnings


def test_warns_asymmetric():
    w = W.copy()
    w[0, 1] = 5.0
    with pytest.warns(BraintwinWarning, match="asymmetric"):
        tiny(weights=w)


def test_warns_self_connections():
    with pytest.warns(BraintwinWarning, match="4 self-connections"):
        tiny(weights=W + np.eye(4))


def test_warns_disconnected():
    w = W.copy()
    w[:, 3] = 0
    w[3, :] = 0
    with pytest.warns(BraintwinWarning, match="disconnected regions: rB"):
        tiny(weights=w)


def test_warn_false_is_quiet(quiet):
    bt.Connectome(np.eye(3) + np.triu(np.ones((3, 3)), 1), np.ones((3, 3)), warn=False)


# -------------------------------------------------------------------- builtins

EXPECTED = {"tvb66": 66, "tvb68": 68, "tvb76": 76, "tvb96": 96, "tvb192": 192}


@pytest.mark.parametrize("name, n", sorted(EXPECTED.items()))
def test_builtins(name, n, quiet):
    c = bt.Connectome.builtin(name)
    assert c.n_regions == n == len(c.labels) == len(set(c.labels))
    assert c.weights.shape == c.tract_lengths.shape == (n, n)
    assert c.centres.shape == (n, 3)
    assert c.source == name
    # every built-in is split evenly between the hemispheres
    assert c.hemispheres.sum() == n // 2
    assert np.isfinite(c.delays(3.0)).all()


def test_builtin_names_match_the_list():
    assert set(BUILTINS) == set(EXPECTED)


def test_tvb76_known_facts(quiet):
    c = bt.Connectome.load("tvb76")
    assert c.n_regions == 76
    assert np.count_nonzero(c.weights) == 1560  # including 66 self-connections
    assert c.self_connections == 66 and c.n_edges == 1494
    assert not c.is_symmetric
    assert c.disconnected == ["rCC", "lCC"]
    assert c.labels[:3] == ["rA1", "rA2", "rAMYG"] and c.labels[38] == "lA1"
    assert c.hemispheres[:38].all() and not c.hemispheres[38:].any()
    assert c.areas is not None and c.orientations is not None and c.cortical.all()


def test_tvb96_hemispheres_from_label_suffix(quiet):
    c = bt.Connectome.builtin("tvb96")
    assert c.labels[0] == "RM-TCpol_R"
    assert c.hemispheres.tolist() == [label.endswith("_R") for label in c.labels]


def test_tvb192_has_zero_length_tracts_but_loads(quiet):
    c = bt.Connectome.builtin("tvb192")
    w, t = c.weights, c.tract_lengths
    off = ~np.eye(192, dtype=bool)
    assert ((w > 0) & (t == 0) & off).sum() == 22
    assert c.hemispheres.tolist() == [label.startswith("r") for label in c.labels]


def test_builtin_is_case_insensitive_and_returns_copies(quiet):
    a = bt.Connectome.builtin("TVB76")
    b = bt.Connectome.builtin("tvb76")
    a.labels[0] = "changed"
    assert b.labels[0] == "rA1" and bt.Connectome.builtin("tvb76").labels[0] == "rA1"


def test_unknown_builtin_lists_names():
    with pytest.raises(InputError) as e:
        bt.Connectome.builtin("tvb77")
    assert "tvb77" in str(e.value) and all(name in str(e.value) for name in BUILTINS)


@pytest.mark.tvb
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtins_match_tvb(name):
    connectivity = pytest.importorskip("tvb.datatypes.connectivity")
    import logging

    logging.disable(logging.WARNING)
    try:
        ref = connectivity.Connectivity.from_file(f"connectivity_{EXPECTED[name]}.zip")
        ref.configure()
    finally:
        logging.disable(logging.NOTSET)
    c = bt.Connectome.builtin(name)
    assert np.array_equal(c.weights, ref.weights)
    assert np.array_equal(c.tract_lengths, ref.tract_lengths)
    assert np.array_equal(c.centres, ref.centres)
    assert c.labels == [str(x) for x in ref.region_labels]
    assert np.array_equal(c.hemispheres, ref.hemispheres)


# ----------------------------------------------------------------- hemispheres


@pytest.mark.parametrize(
    "labels, expected",
    [
        (["rA1", "lA1", "rPUL.L", "lPUL.R"], [True, False, True, False]),
        (["r_fusiform", "l_fusiform"], [True, False]),
        (["RM-TCpol_R", "RM-TCpol_L"], [True, False]),
        (["ctx-lh-insula", "ctx-rh-insula", "Left-Amygdala", "Right-Amygdala"], [False, True, False, True]),
        (["lh.bankssts", "rh.bankssts"], [False, True]),
        (["insula_left", "insula_right"], [False, True]),
        (["L.BSTS", "R.BSTS"], [False, True]),
    ],
)
def test_infer_hemispheres_from_labels(labels, expected):
    assert infer_hemispheres(labels).tolist() == expected


def test_infer_hemispheres_falls_back_to_x():
    labels = ["ctx-lh-insula", "Brain-Stem", "Vermis", "LGN"]
    centres = [[10.0, 0, 0], [2.0, 0, 0], [-1.0, 0, 0], [5.0, 0, 0]]
    # the label decides where it can (x is ignored for ctx-lh-insula); x > 0 elsewhere
    assert infer_hemispheres(labels, centres).tolist() == [False, True, False, True]


def test_hemispheres_given_are_kept(quiet):
    c = tiny(hemispheres=[1, 1, 0, 0])
    assert c.hemispheres.tolist() == [True, True, False, False]


# ------------------------------------------------------------------------ plot


def test_plot_returns_figure_and_saves(tmp_path):
    from matplotlib.figure import Figure

    fig = tiny().plot()
    assert isinstance(fig, Figure) and len(fig.axes) >= 3
    out = tmp_path / "sub" / "c.png"
    bt.Connectome.builtin("tvb76").plot(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in out.parent.iterdir()] == ["c.png"]  # no temporary files left


def test_plot_without_centres_or_edges(tmp_path):
    bt.Connectome(np.zeros((3, 3)), np.zeros((3, 3)), warn=False).plot(tmp_path / "empty.svg")
    assert (tmp_path / "empty.svg").stat().st_size > 0


def test_plot_bad_format(tmp_path):
    with pytest.raises(InputError) as e:
        tiny().plot(tmp_path / "c.xyz")
    assert e.value.field == "path" and "c.xyz" in str(e.value)
