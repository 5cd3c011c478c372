"""The main job (``braintwin demo``) and the twin commands on its twin file."""

from __future__ import annotations

import json

import pytest

import braintwin as bt
from braintwin.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    rc = main(["demo", "--out", str(out), "--chains", "2", "--warmup", "150", "--samples", "150", "--n-samples", "40"])
    assert rc == 0
    return out


def test_demo_outputs(demo):
    for name in ("twin.h5", "report.html", "patient_seeg.png", "ez_map.png", "summary.json"):
        assert (demo / name).stat().st_size > 0, name
    s = json.loads((demo / "summary.json").read_text())
    assert len(s["whatif"]["candidates"]) == 3
    # the twin recovered the synthetic patient's EZ from its SEEG
    assert s["fit"]["accuracy"]["ez_recall"] >= 0.5
    # the second recording updated the twin: two recordings, and the update's EZ still agrees with the truth
    assert s["update"]["accuracy"]["ez_recall"] >= 0.5
    t = bt.Twin.load(demo / "twin.h5")
    assert t.posterior.info["n_recordings"] == 2 and t.history[-1]["what"].startswith("update 1:")
    html = (demo / "report.html").read_text()
    assert "research" in html.lower() and html.count("data:image/png;base64,") >= 4 and "http://" not in html


def test_twin_info_json(demo, capsys):
    assert main(["twin", "info", str(demo / "twin.h5"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["subject_id"].startswith("twin-")
    t = bt.Twin.load(demo / "twin.h5")
    assert t.posterior.samples["x0"].shape[1] == t.connectome.n_regions == 10


def test_whatif_and_report_commands(demo, tmp_path, capsys):
    t = bt.Twin.load(demo / "twin.h5")
    x0 = t.posterior.samples["x0"].mean(axis=0)
    top = t.connectome.labels[int(x0.argmax())]
    html = tmp_path / "cmp.html"
    assert main(["whatif", str(demo / "twin.h5"), "--resect", top, "--compare", "resect=rV1", "--n-samples", "30", "-o", str(html)]) == 0
    assert "spreads" in capsys.readouterr().out
    assert html.read_text().count("<tr") >= 3
    rep = tmp_path / "r.html"
    assert main(["report", str(demo / "twin.h5"), "--out", str(rep), "--n-samples", "30"]) == 0
    assert rep.stat().st_size > 10_000


def test_twin_errors(tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not a twin")
    assert main(["twin", "info", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err
    assert main(["whatif", str(tmp_path / "missing.h5"), "--resect", "x"]) == 2
    cfg = tmp_path / "b.toml"
    cfg.write_text('seeg = "s.npy"\n')
    assert main(["twin", "build", str(cfg)]) == 2
    assert "connectome" in capsys.readouterr().err
