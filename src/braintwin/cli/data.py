"""``braintwin data inspect``: what a person's file or BIDS folder holds, before it goes into a twin.

The file type picks the inspector (:data:`_INSPECTORS`): a recording or BIDS
folder, a parcellation image, a 4-D BOLD image or a BOLD table, streamlines.
Each returns JSON-ready sections; none holds an identifying header field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from . import app

data_app = typer.Typer(help="Inspect a person's data files.", no_args_is_help=True, add_completion=False)
app.add_typer(data_app, name="data")


def parse_options(items, field: str) -> dict:
    """``["subject=01", "offset=20"]`` (or ``"a=1,b=x"``) -> ``{"subject": "01", "offset": 20.0}``; numbers become floats.

    BIDS entities stay strings (``"01"`` is not 1).
    """
    out: dict = {}
    for item in items:
        for part in filter(None, str(item).split(",")):
            key, eq, value = part.partition("=")
            if not eq or not key.strip():
                raise InputError(f"expected KEY=VALUE, got {part!r}", source="command line", field=field)
            key, value = key.strip(), value.strip()
            try:
                out[key] = value if key in ("subject", "session", "task", "run") else float(value)
            except ValueError:
                out[key] = value
    return out


def _labels(connectome):
    import braintwin as bt

    return None if connectome is None else list(bt.connectome.as_connectome(connectome).labels)


def _recording(path: Path, o: dict) -> dict:
    from ..observe import match_channels, read_electrodes, read_recording, seeg_gain_from_parcellation

    rec = read_recording(path, kind=o["kind"], subject=o["subject"], session=o["session"], task=o["task"], run=o["run"])
    out: dict = {"recording": rec.summary()}
    if o["electrodes"] is None:
        return out
    m = match_channels(rec.labels, read_electrodes(o["electrodes"]), warn=False)
    out["contacts"] = {"source": str(o["electrodes"]), "matched": list(m.channels), "unmatched_channels": list(m.unmatched_channels),
                       "unmatched_contacts": list(m.unmatched_contacts)}
    if o["parcellation"] is not None:
        lf, rep = seeg_gain_from_parcellation(m.contacts, o["parcellation"], lut=o["lut"], labels=_labels(o["connectome"]))
        out["contacts"].update({"outside_brain": list(rep.outside), "in_ventricles": list(rep.ventricles),
                                "region_of_contact": rep.regions})
        out["regions"] = {"n": len(lf.region_labels), "labels": list(lf.region_labels)}
        if o["connectome"] is not None:
            out["regions"]["matched_to"] = o["connectome"]
    return out


def _image(path: Path, o: dict) -> dict:
    """A 3-D image is a parcellation; a 4-D one is BOLD (needs --parcellation)."""
    import nibabel as nib

    from ..connectome import read_parcellation

    if len(nib.load(str(path)).shape) == 4:
        return _bold(path, o)
    parc = read_parcellation(path, lut=o["lut"])
    out = {"parcellation": {"source": str(path), "shape": list(parc.data.shape), "n_regions": len(parc.values),
                            "regions": list(parc.names), "voxel_volume_mm3": round(parc.voxel_volume_mm3, 6)}}
    if o["connectome"] is not None:
        from ..connectome import match_labels

        match_labels(parc.names, _labels(o["connectome"]), source=str(path), field="parcellation")  # raises, listing mismatches
        out["parcellation"]["matched_to"] = o["connectome"]
    return out


def _bold(path: Path, o: dict) -> dict:
    from ..observe import read_bold

    b = read_bold(path, parcellation=o["parcellation"], lut=o["lut"], tr_s=o["tr"], labels=_labels(o["connectome"]))
    out = {"source": str(path), "n_times": int(b.data.shape[0]), "tr_s": b.tr_s, "n_regions": len(b.labels), "regions": list(b.labels)}
    if o["connectome"] is not None:
        out["matched_to"] = o["connectome"]
    return {"bold": out}


def _streamlines(path: Path, o: dict) -> dict:
    from ..connectome import count_streamlines, read_parcellation

    if o["parcellation"] is None:
        raise InputError("streamlines need --parcellation to count tracts between regions", source=str(path), field="parcellation")
    parc = read_parcellation(o["parcellation"], lut=o["lut"])
    tc = count_streamlines(path, parc)
    return {"streamlines": {"source": str(path), "n_streamlines": tc.n_streamlines, "n_unassigned": tc.n_unassigned,
                            "n_within_region": tc.n_self, "n_regions": len(tc.values), "n_edges": int((tc.counts > 0).sum() // 2),
                            "mean_length_mm": float(tc.length_sum.sum() / max(tc.counts.sum(), 1))}}


#: File type -> inspector (checked in order; a folder is a BIDS root).
_INSPECTORS = ((".nii.gz", _image), (".nii", _image), (".mgz", _image), (".tck", _streamlines), (".trk", _streamlines),
               (".tsv", _bold), (".csv", _bold))


def _text(info: dict) -> str:
    lines = []
    r = info.pop("recording", None)
    if r:
        types = ", ".join(f"{n} {t}" for t, n in r["channel_types"].items())
        lines += [f"recording  {r['source']}", f"  channels   {r['n_channels']} ({types}): {', '.join(r['channels'][:20])}"
                  f"{' ...' if r['n_channels'] > 20 else ''}",
                  f"  sampling   {r['fs_hz']:g} Hz, {r['duration_s']:g} s",
                  f"  bads       {', '.join(r['bads']) or 'none'}" + (f" (flagged: {r['flags']})" if r["flags"] else ""),
                  "  annotations " + ("; ".join(f"{a['onset_s']:g} s {a['description']}" for a in r["annotations"]) or "none"),
                  f"  dropped identifying fields: {', '.join(r['dropped_identifiers']) or 'none'}"]
    c = info.pop("contacts", None)
    if c:
        lines += [f"contacts   {c['source']}: {len(c['matched'])} matched", f"  unmatched channels: {', '.join(c['unmatched_channels']) or 'none'}",
                  f"  contacts without a channel: {', '.join(c['unmatched_contacts']) or 'none'}"]
        if "outside_brain" in c:
            lines += [f"  outside the brain: {', '.join(c['outside_brain']) or 'none'}; in ventricles: {', '.join(c['in_ventricles']) or 'none'}",
                      "  regions of contacts: " + ", ".join(f"{k} {v}" for k, v in c["region_of_contact"].items())]
    for section, values in info.items():  # regions, parcellation, bold, streamlines: one line per field
        lines.append(section)
        for k, v in values.items():
            if isinstance(v, list):
                v = ", ".join(map(str, v[:20])) + (" ..." if len(v) > 20 else "")
            lines.append(f"  {k:<16} {v}")
    return "\n".join(lines)


@data_app.command("inspect")
def inspect_cmd(
    path: Path = typer.Argument(..., help="A recording (.edf/.bdf/.vhdr/.fif) or BIDS folder; a parcellation or 4-D BOLD image; "
                                          "a BOLD table (.tsv/.csv); streamlines (.tck/.trk)."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Channel type to keep: seeg, ecog, eeg, meg."),
    subject: Optional[str] = typer.Option(None, "--subject", help="BIDS subject (without 'sub-')."),
    session: Optional[str] = typer.Option(None, "--session", help="BIDS session."),
    task: Optional[str] = typer.Option(None, "--task", help="BIDS task."),
    run: Optional[str] = typer.Option(None, "--run", help="BIDS run."),
    electrodes: Optional[Path] = typer.Option(None, "--electrodes", help="electrodes.tsv or 'label x y z' file to match."),
    parcellation: Optional[Path] = typer.Option(None, "--parcellation", help="Parcellation image (contacts, BOLD regions, streamlines)."),
    lut: Optional[Path] = typer.Option(None, "--lut", help="Lookup table naming the parcels."),
    connectome: Optional[str] = typer.Option(None, "--connectome", help="Connectome whose labels the regions must match."),
    tr: Optional[float] = typer.Option(None, "--tr", help="BOLD repetition time in s (default: header or sidecar)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Print what was found: channels and types, sampling rate, duration, annotations, contacts, regions, dropped identifiers."""
    if not path.exists():
        raise InputError("file not found", source=str(path), field="path")
    opts = dict(kind=kind, subject=subject, session=session, task=task, run=run, electrodes=electrodes,
                parcellation=parcellation, lut=lut, connectome=connectome, tr=tr)
    inspector = next((f for ext, f in _INSPECTORS if path.name.lower().endswith(ext)), _recording)
    info = inspector(path, opts)
    typer.echo(json.dumps(info, indent=2) if as_json else _text(info))
