"""``braintwin data inspect``: what a person's file or BIDS folder holds, before it goes into a twin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from . import app

data_app = typer.Typer(help="Inspect a person's data files.", no_args_is_help=True, add_completion=False)
app.add_typer(data_app, name="data")


def _inspect(path: Path, kind, subject, session, task, run, electrodes, parcellation, lut, connectome) -> dict:
    """Read what is given and collect a JSON-ready summary (no identifying field)."""
    from ..observe import match_channels, read_electrodes, read_recording, seeg_gain_from_parcellation

    name = path.name.lower()
    out: dict = {}
    if name.endswith((".nii", ".nii.gz", ".mgz")) and parcellation is None:
        from ..connectome import read_parcellation

        parc = read_parcellation(path, lut=lut)
        out["parcellation"] = {"source": str(path), "shape": list(parc.data.shape), "n_regions": len(parc.values),
                               "regions": list(parc.names), "voxel_volume_mm3": parc.voxel_volume_mm3}
        return out
    rec = read_recording(path, kind=kind, subject=subject, session=session, task=task, run=run)
    out["recording"] = rec.summary()
    if electrodes is not None:
        el = read_electrodes(electrodes)
        m = match_channels(rec.labels, el, warn=False)
        out["contacts"] = {"source": str(electrodes), "matched": list(m.channels), "unmatched_channels": list(m.unmatched_channels),
                           "unmatched_contacts": list(m.unmatched_contacts)}
        if parcellation is not None:
            import braintwin as bt

            labels = bt.Connectome.load(connectome).labels if connectome else None
            lf, rep = seeg_gain_from_parcellation(m.contacts, parcellation, lut=lut, labels=labels)
            out["contacts"].update({"outside_brain": list(rep.outside), "in_ventricles": list(rep.ventricles),
                                    "region_of_contact": rep.regions})
            out["regions"] = {"labels": list(lf.region_labels), "n": len(lf.region_labels), "matched_to": connectome}
    return out


def _text(info: dict) -> str:
    lines = []
    r = info.get("recording")
    if r:
        types = ", ".join(f"{n} {t}" for t, n in r["channel_types"].items())
        lines += [f"recording  {r['source']}", f"  channels   {r['n_channels']} ({types}): {', '.join(r['channels'][:20])}"
                  f"{' ...' if r['n_channels'] > 20 else ''}",
                  f"  sampling   {r['fs_hz']:g} Hz, {r['duration_s']:g} s",
                  f"  bads       {', '.join(r['bads']) or 'none'}" + (f" (flagged: {r['flags']})" if r["flags"] else ""),
                  "  annotations " + ("; ".join(f"{a['onset_s']:g} s {a['description']}" for a in r["annotations"]) or "none"),
                  f"  dropped identifying fields: {', '.join(r['dropped_identifiers']) or 'none'}"]
    c = info.get("contacts")
    if c:
        lines += [f"contacts   {c['source']}: {len(c['matched'])} matched", f"  unmatched channels: {', '.join(c['unmatched_channels']) or 'none'}",
                  f"  contacts without a channel: {', '.join(c['unmatched_contacts']) or 'none'}"]
        if "outside_brain" in c:
            lines += [f"  outside the brain: {', '.join(c['outside_brain']) or 'none'}; in ventricles: {', '.join(c['in_ventricles']) or 'none'}"]
    if "region_of_contact" in (c or {}):
        lines += ["  regions of contacts: " + ", ".join(f"{k} {v}" for k, v in c["region_of_contact"].items())]
    g = info.get("regions")
    if g:
        lines += [f"regions    {g['n']} " + (f"(all of {g['matched_to']}'s labels matched)" if g["matched_to"] else "in the parcellation")
                  + f": {', '.join(g['labels'][:20])}{' ...' if g['n'] > 20 else ''}"]
    p = info.get("parcellation")
    if p:
        lines += [f"parcellation {p['source']}: {p['n_regions']} regions on a {p['shape']} grid ({p['voxel_volume_mm3']:g} mm^3 voxels)",
                  f"  {', '.join(p['regions'][:20])}{' ...' if p['n_regions'] > 20 else ''}"]
    return "\n".join(lines)


@data_app.command("inspect")
def inspect_cmd(
    path: Path = typer.Argument(..., help="A recording (.edf, .bdf, .vhdr, .fif), a BIDS root folder or a parcellation image."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Channel type to keep: seeg, ecog, eeg, meg."),
    subject: Optional[str] = typer.Option(None, "--subject", help="BIDS subject (without 'sub-')."),
    session: Optional[str] = typer.Option(None, "--session", help="BIDS session."),
    task: Optional[str] = typer.Option(None, "--task", help="BIDS task."),
    run: Optional[str] = typer.Option(None, "--run", help="BIDS run."),
    electrodes: Optional[Path] = typer.Option(None, "--electrodes", help="electrodes.tsv or 'label x y z' file to match."),
    parcellation: Optional[Path] = typer.Option(None, "--parcellation", help="Parcellation image (contacts located, gain columns)."),
    lut: Optional[Path] = typer.Option(None, "--lut", help="Lookup table naming the parcels."),
    connectome: Optional[str] = typer.Option(None, "--connectome", help="Connectome whose labels the parcels must match."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Print what was found: channels and types, sampling rate, duration, annotations, contacts, regions, dropped identifiers."""
    if not path.exists():
        raise InputError("file not found", source=str(path), field="path")
    info = _inspect(path, kind, subject, session, task, run, electrodes, parcellation, lut, connectome)
    typer.echo(json.dumps(info, indent=2) if as_json else _text(info))
