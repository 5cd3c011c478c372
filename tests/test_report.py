"""The HTML twin report (braintwin.report): self-contained, complete, and opened in headless Chromium."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import types

import numpy as np
import pytest

import braintwin as bt
from braintwin import whatif as W
from braintwin.report import DISCLAIMER, SECTIONS, render_report, write_report

REGIONS = ["rHC", "rPHC", "rAMYG", "rTCI", "rTCPOL", "rTCC", "rTCS", "rTCV", "rA1", "rIA", "lHC", "lPHC", "lAMYG", "lTCPOL"]
IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _twin(with_posterior: bool = True):
    conn = bt.Connectome.builtin("tvb76").subset(REGIONS).normalized("max").with_zero_diagonal()
    N = conn.n_regions
    x0 = np.full(N, -3.5)
    x0[REGIONS.index("lPHC")] = -1.6
    x0[[REGIONS.index(r) for r in ("lHC", "lAMYG", "lTCPOL")]] = -2.2
    rng = np.random.default_rng(3)
    n, T, C = 120, 60, 4
    t = np.arange(T) * 0.4
    signal = np.tanh((t - 10.0) / 3.0)[:, None] * np.linspace(0.5, 1.5, C)[None, :]
    post = None
    if with_posterior:
        post = types.SimpleNamespace(
            samples={"x0": x0 + rng.normal(0, 0.05, (n, N)), "K": 2.0 * np.exp(rng.normal(0, 0.1, n)),
                     "y_pred": signal[None] + rng.normal(0, 0.1, (n, T, C))},
            diagnostics={"rhat": {"x0": np.full(N, 1.004), "K": np.array(1.002)}, "ess": {"x0": np.full(N, 420.0), "K": np.array(900.0)},
                         "divergences": 0, "ok": True},
            method="nuts",
        )
    return types.SimpleNamespace(
        subject_id="sub-042", connectome=conn, model=bt.models.VEP2D(x0=x0, K=2.0, tau0=30.0), coupling=None,
        simulation={"dt": 0.1, "duration": 600.0, "delays": False, "method": "heun"}, posterior=post,
        data={"seeg_envelope": signal + rng.normal(0, 0.1, (T, C)), "time_ms": t} if with_posterior else None,
        observation={"contacts": [f"A{i + 1}" for i in range(C)]}, metadata={"age_years": 34, "sex": "F"},
        provenance={"created_utc": "2025-01-01T00:00:00Z"},
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    twin = _twin()
    comparison = W.compare(twin, [W.resect("lPHC"), W.resect("rA1")], n_samples=16)
    search = W.smallest_resection(twin, candidates=["lPHC", "rA1"], max_regions=1, n_samples=16)
    path = write_report(twin, tmp_path_factory.mktemp("report") / "report.html", comparison=comparison, search=search)
    # connectome, data + fit, posterior, EZ map, comparison, best option, smallest resection
    return path, path.read_text(encoding="utf-8"), 7


@pytest.fixture(scope="module")
def bare_report(tmp_path_factory):
    twin = _twin(with_posterior=False)
    path = write_report(twin, tmp_path_factory.mktemp("bare") / "bare.html")
    return path, path.read_text(encoding="utf-8"), 1  # the connectome only


def test_report_is_self_contained(report, bare_report):
    for _, text, _n in (report, bare_report):
        assert text.startswith("<!DOCTYPE html>")
        low = text.lower()
        assert "http://" not in low and "https://" not in low and "//" not in re.sub(r"data:[^\"']*", "", low).replace("<!--", "")
        assert "<script" not in low and "url(" not in low and "@import" not in low
        for attr in re.findall(r'(?:src|href)="([^"]*)"', text):
            assert attr.startswith("data:"), attr  # every resource is embedded


def test_report_has_every_section_and_figure(report):
    _, text, n_figs = report
    for sid in SECTIONS:
        assert f'id="{sid}"' in text, sid
    imgs = IMG.findall(text)
    assert len(imgs) == n_figs
    for b64 in imgs:
        assert base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(re.findall(r"<figcaption>.+?</figcaption>", text, flags=re.S)) == n_figs
    # the research-tool statement comes first; the subject is only named by its pseudonym
    assert text.index(DISCLAIMER[:40]) < text.index('id="subject"')
    assert "sub-042" in text and "not a medical device" in text
    # plain-words verdict, what-if table with uncertainty, EZ table
    assert "The checks passed" in text
    assert '<table class="comparison">' in text and "resect lPHC" in text and "%" in text
    assert '<table class="ez-table">' in text and "lPHC" in text
    assert "not available" not in text.lower()


def test_report_degrades_without_posterior_or_data(bare_report):
    _, text, n_figs = bare_report
    for sid in SECTIONS:
        assert f'id="{sid}"' in text, sid
    assert len(IMG.findall(text)) == n_figs
    assert text.count('class="na"') == 5  # data-fit, posterior, ez-map, diagnostics, whatif
    assert "not been personalised" in text


def test_report_text_only_and_diagnostic_warnings():
    twin = _twin()
    twin.posterior.diagnostics = {"rhat": {"x0": np.full(len(REGIONS), 1.2)}, "ess": {"x0": np.full(len(REGIONS), 12.0)}, "divergences": 7}
    text = render_report(twin, figures=False)
    assert not IMG.findall(text)
    assert "Caution" in text and "7 divergent" in text and "R-hat" in text


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _run_chromium(exe, tmp_path, *args):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def _console_errors(stderr: str) -> list[str]:
    return [l for l in stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium not installed (Debian: apt-get install chromium)")
def test_report_opens_in_headless_chromium(report, tmp_path):
    path, _, n_figs = report
    exe = _chromium()
    url = path.resolve().as_uri()
    dom = _run_chromium(exe, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "</html>" in dom.stdout
    for sid in SECTIONS:
        assert f'id="{sid}"' in dom.stdout, sid
    assert len(IMG.findall(dom.stdout)) == n_figs
    assert not _console_errors(dom.stderr), _console_errors(dom.stderr)
    shot = tmp_path / "report.png"
    res = _run_chromium(exe, tmp_path, "--window-size=1200,3000", f"--screenshot={shot}", url)
    assert res.returncode == 0, res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a rendered page, not a blank one
    assert not _console_errors(res.stderr), _console_errors(res.stderr)
