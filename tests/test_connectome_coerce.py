"""``as_connectome``: the one coercion of a connectome argument (object, file, name, connectome-like)."""

from __future__ import annotations

import types

import numpy as np
import pytest

from braintwin.connectome import Connectome, as_connectome
from braintwin.errors import InputError


def _small() -> Connectome:
    w = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.0], [0.5, 0.0, 0.0]])
    return Connectome(w, 10.0 * (w > 0), ["a", "b", "c"], source="small", warn=False)


def test_connectome_is_returned_unchanged():
    c = _small()
    assert as_connectome(c) is c


def test_path_and_name_are_loaded(tmp_path):
    c = _small()
    path = c.save(tmp_path / "c.npz")
    for x in (path, str(path)):
        got = as_connectome(x)
        np.testing.assert_array_equal(got.weights, c.weights)
        assert got.labels == c.labels
    assert as_connectome("TVB76").n_regions == 76  # built-in names are case-insensitive


def test_connectome_like_object_is_built_quietly():
    like = types.SimpleNamespace(weights=np.array([[0.0, 2.0], [2.0, 0.0]]), labels=["x", "y"])
    got = as_connectome(like)
    assert isinstance(got, Connectome)
    assert got.labels == ["x", "y"]
    np.testing.assert_array_equal(got.tract_lengths, np.zeros((2, 2)))  # no lengths: zeros, allowed


@pytest.mark.parametrize("bad, words", [(None, "no connectome"), (3.5, "got float"), ("no_such_file.zip", "no such file")])
def test_bad_input_is_one_clear_error(bad, words):
    with pytest.raises(InputError, match=words) as e:
        as_connectome(bad, source="cfg.toml", field="conn")
    if bad is not None and not isinstance(bad, str):
        assert e.value.source == "cfg.toml" and e.value.field == "conn"
