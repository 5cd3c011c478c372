"""The twin file: one HDF5 file, written atomically, sealed by two SHA-256 checksums.

File layout (format 1)::

    [512-byte header]  "braintwin twin file\\nformat: 1\\nsha256: <hex>\\nsize: <bytes>\\n" + NUL padding
                       (an HDF5 user block: HDF5 itself ignores it).  <hex> is the
                       SHA-256 of every byte after the header, <bytes> the file size.
    /                  attrs: kind="braintwin.twin", format_version=1, subject_id,
                              braintwin_version (of the writer), saved_utc,
                              content_sha256 (see below)
    /metadata          attrs: one JSON value per allowed key (age_years, sex, ...)
    /connectome        datasets weights (N, N), tract_lengths (N, N), centres (N, 3),
                       hemispheres (N,) bool, cortical (N,) bool, [areas (N,)],
                       [orientations (N, 3)]; attr labels (JSON list)
    /model             attr name (JSON); /model/parameters/<name>: 0-d or (N,) float64
    /coupling          attrs name, parameters (JSON)
    /simulation        a tree: datasets for arrays, sub-groups for dicts,
    /observation         JSON attributes for everything else
    /data
    /posterior         (only with a posterior) attrs method, n_chains, labels, info (JSON);
                       /posterior/samples/<name>: (n_draws, ...) datasets, in order;
                       /posterior/diagnostics: a tree
    /provenance        attrs (JSON): created_utc, saved_utc, software, config, seeds,
                       inputs, updates

Two checksums guard the file:

* the **file checksum** in the header covers every byte after it, so any flipped
  byte (in data, in HDF5's own structures, in padding) and any truncation are
  caught before HDF5 parses anything;
* the **content checksum** (root attribute ``content_sha256``) is the SHA-256 of
  a canonical serialisation of the content: every group, dataset and attribute,
  in sorted order, as name, dtype, shape and bytes.  It is recomputed from the
  values HDF5 returns, so it also catches a file rewritten by another tool
  (with a fresh header) whose content no longer matches.

Arrays are stored uncompressed and contiguous, exactly as given.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .._io import atomic_path
from ..connectome import Connectome
from ..errors import InputError
from ..models import get_coupling, get_model
from ._tree import read_tree, write_tree
from ..infer.posterior import posterior_from_group, posterior_to_group
from .provenance import utc_now

__all__ = ["KIND", "FORMAT_VERSION", "write_file", "read_parts", "verify_twin", "content_checksum"]

#: Value of the root attribute ``kind``.
KIND = "braintwin.twin"
#: Version of the file layout written by this braintwin.
FORMAT_VERSION = 1
#: Size of the header (the HDF5 user block) in bytes.
HEADER_SIZE = 512

_MAGIC = b"braintwin twin file\n"
_HEADER_RE = re.compile(rb"braintwin twin file\nformat: (\d+)\nsha256: ([0-9a-f]{64})\nsize: (\d+)\n\x00*")
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_UNHASHED_ROOT_ATTRS = ("content_sha256",)


# ------------------------------------------------------------------ checksums
def _hash_bytes(h: "hashlib._Hash", b: bytes) -> None:
    h.update(len(b).to_bytes(8, "little"))
    h.update(b)


def _value_bytes(v: Any) -> bytes:
    if isinstance(v, str):
        return b"s" + v.encode("utf-8")
    if isinstance(v, bytes):
        return b"b" + v
    a = np.asarray(v)
    if a.dtype.kind == "O":  # variable-length strings in an array attribute
        return b"o" + json.dumps([x.decode() if isinstance(x, bytes) else str(x) for x in a.ravel()]).encode()
    a = np.ascontiguousarray(a)
    return b"n" + a.dtype.str.encode() + repr(a.shape).encode() + a.tobytes()


def content_checksum(f: h5py.File) -> str:
    """SHA-256 of a canonical serialisation of an HDF5 file's content.

    Every group, dataset and attribute is visited in sorted order; each
    contributes its kind, path, dtype, shape and bytes (length-prefixed, so the
    serialisation is unambiguous).  The root attribute ``content_sha256`` is left
    out.  Independent of how HDF5 laid the file out on disk.

    Parameters
    ----------
    f : h5py.File
        Open for reading (or writing).

    Returns
    -------
    str
        Hex digest.
    """
    h = hashlib.sha256()

    def attrs(obj) -> None:
        for k in sorted(obj.attrs):
            if obj.name == "/" and k in _UNHASHED_ROOT_ATTRS:
                continue
            _hash_bytes(h, b"A" + k.encode("utf-8"))
            _hash_bytes(h, _value_bytes(obj.attrs[k]))

    def visit(obj) -> None:
        if isinstance(obj, h5py.Group):
            _hash_bytes(h, b"G" + obj.name.encode("utf-8"))
            attrs(obj)
            for k in sorted(obj):
                visit(obj[k])
        else:
            _hash_bytes(h, b"D" + obj.name.encode("utf-8"))
            _hash_bytes(h, obj.dtype.str.encode() + repr(obj.shape).encode())
            attrs(obj)
            _hash_bytes(h, _value_bytes(obj[()]))

    visit(f)
    return h.hexdigest()


def _body_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        fh.seek(HEADER_SIZE)
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _header(digest: str, size: int, version: int = FORMAT_VERSION) -> bytes:
    head = _MAGIC + f"format: {version}\nsha256: {digest}\nsize: {size}\n".encode()
    return head.ljust(HEADER_SIZE, b"\x00")


def _seal(path: Path) -> None:
    """Write the header (file checksum and size) into the user block, then fsync."""
    size = path.stat().st_size
    digest = _body_sha256(path)
    with open(path, "r+b") as fh:
        fh.write(_header(digest, size))
        fh.flush()
        os.fsync(fh.fileno())


def _check_header(path: Path) -> None:
    src = str(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(HEADER_SIZE)
    if not head.startswith(_MAGIC):
        if head.startswith(_HDF5_SIGNATURE):
            raise InputError("not a braintwin twin file (an HDF5 file without the twin header)", source=src, field="kind")
        if len(head) < len(_MAGIC) and _MAGIC.startswith(head):
            raise InputError(f"the file is truncated ({size} bytes)", source=src, field="file")
        raise InputError("not a braintwin twin file, or its header is corrupted", source=src, field="file")
    if len(head) < HEADER_SIZE:
        raise InputError(f"the file is truncated ({size} bytes, shorter than its {HEADER_SIZE}-byte header)", source=src, field="file")
    m = _HEADER_RE.fullmatch(head)
    if m is None:
        raise InputError("the twin header is corrupted (it does not parse)", source=src, field="checksum")
    version, digest, expected = int(m.group(1)), m.group(2).decode(), int(m.group(3))
    if version > FORMAT_VERSION and head == _header(digest, expected, version):
        raise InputError(
            f"written in twin format {version}, newer than this braintwin reads ({FORMAT_VERSION}); upgrade braintwin",
            source=src,
            field="format_version",
        )
    if not 1 <= version <= FORMAT_VERSION or head != _header(digest, expected, version):
        raise InputError("the twin header is corrupted", source=src, field="checksum")
    if size != expected:
        what = "truncated" if size < expected else "longer than written"
        raise InputError(
            f"the file is {what}: {size} bytes, but {expected} were written (or its header is corrupted)",
            source=src,
            field="file",
        )
    if _body_sha256(path) != digest:
        raise InputError(
            "checksum mismatch: the file's bytes differ from those saved (corrupted, or modified outside braintwin)",
            source=src,
            field="checksum",
        )


# --------------------------------------------------------------------- write
def _json_attrs(group: h5py.Group, values: Mapping[str, Any]) -> None:
    for k, v in values.items():
        group.attrs[k] = json.dumps(v, allow_nan=True)


def _read_json_attrs(group: h5py.Group) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in group.attrs.items()}


def _write_root(f: h5py.File, twin, saved: str) -> None:
    from .._version import __version__

    f.attrs["kind"] = KIND
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["subject_id"] = twin.subject_id
    f.attrs["braintwin_version"] = __version__
    f.attrs["saved_utc"] = saved


def _write_metadata(f: h5py.File, twin) -> None:
    _json_attrs(f.create_group("metadata", track_order=True), twin.metadata)


def _write_connectome(f: h5py.File, twin) -> None:
    c = twin.connectome
    g = f.create_group("connectome", track_order=True)
    for name in ("weights", "tract_lengths", "centres", "hemispheres", "cortical", "areas", "orientations"):
        value = getattr(c, name)
        if value is not None:
            g.create_dataset(name, data=np.asarray(value))
    g.attrs["labels"] = json.dumps(list(c.labels))


def _write_model(f: h5py.File, twin) -> None:
    g = f.create_group("model", track_order=True)
    g.attrs["name"] = json.dumps(twin.model.name)
    p = g.create_group("parameters", track_order=True)
    for k, v in twin.model.values.items():
        p.create_dataset(k, data=np.asarray(v, dtype=np.float64))


def _write_coupling(f: h5py.File, twin) -> None:
    g = f.create_group("coupling", track_order=True)
    _json_attrs(g, {"name": twin.coupling.name, "parameters": {k: float(v) for k, v in twin.coupling.values.items()}})


def _write_trees(f: h5py.File, twin) -> None:
    for name in ("simulation", "observation", "data"):
        write_tree(f.create_group(name, track_order=True), getattr(twin, name))


def _write_posterior(f: h5py.File, twin) -> None:
    p = twin.posterior
    if p is None:
        return
    posterior_to_group(f.create_group("posterior", track_order=True), p)


def _write_provenance(f: h5py.File, twin, saved: str) -> None:
    _json_attrs(f.create_group("provenance", track_order=True), {**twin.provenance, "saved_utc": saved})


def _write_contents(f: h5py.File, twin, saved: str) -> None:
    _write_root(f, twin, saved)
    _write_metadata(f, twin)
    _write_connectome(f, twin)
    _write_model(f, twin)
    _write_coupling(f, twin)
    _write_trees(f, twin)
    _write_posterior(f, twin)
    _write_provenance(f, twin, saved)


def write_file(path: str | os.PathLike, twin) -> Path:
    """Write ``twin`` (a validated :class:`~braintwin.Twin`) atomically, with file and content checksums.

    Written to a temporary file beside ``path``, sealed (content checksum,
    then the header with the file checksum and size), flushed to disk and
    renamed onto ``path``.  See :func:`braintwin.twin.write_twin`.
    """
    path = Path(path)
    saved = utc_now()
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w", userblock_size=HEADER_SIZE, libver=("v110", "latest"), track_order=True) as f:
            _write_contents(f, twin, saved)
            f.flush()
            f.attrs["content_sha256"] = content_checksum(f)
        _seal(tmp)
    twin.provenance["saved_utc"] = saved
    twin.source = str(path)
    return path


# ---------------------------------------------------------------------- read
def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise InputError(
            f"cannot be read as HDF5 (the file is corrupted or truncated): {e}", source=str(path), field="file"
        ) from None


def _read_contents(f: h5py.File, source: str) -> dict[str, Any]:
    c = f["connectome"]
    arr = {k: c[k][()] for k in c}
    connectome = Connectome(
        arr["weights"],
        arr["tract_lengths"],
        labels=json.loads(c.attrs["labels"]),
        centres=arr["centres"],
        hemispheres=arr["hemispheres"],
        cortical=arr["cortical"],
        areas=arr.get("areas"),
        orientations=arr.get("orientations"),
        source=f"{source}:/connectome",
        allow_zero_lengths=True,
        warn=False,
    )
    m = f["model"]
    values = {k: (float(d[()]) if d.ndim == 0 else np.asarray(d[()])) for k, d in m["parameters"].items()}
    model = get_model(json.loads(m.attrs["name"]), **values)
    cp = _read_json_attrs(f["coupling"])
    coupling = get_coupling(cp["name"], **cp["parameters"])
    posterior = None
    if "posterior" in f:
        posterior = posterior_from_group(f["posterior"])
    return dict(
        subject_id=str(f.attrs["subject_id"]),
        connectome=connectome,
        model=model,
        coupling=coupling,
        simulation=read_tree(f["simulation"]),
        observation=read_tree(f["observation"]),
        data=read_tree(f["data"]),
        posterior=posterior,
        metadata=_read_json_attrs(f["metadata"]),
        provenance=_read_json_attrs(f["provenance"]),
    )


def _header_version(path: Path) -> int | None:
    with open(path, "rb") as fh:
        m = _HEADER_RE.fullmatch(fh.read(HEADER_SIZE))
    return None if m is None else int(m.group(1))


def _check_kind(f: h5py.File, src: str) -> None:
    kind = f.attrs.get("kind")
    if kind != KIND:
        raise InputError(f"not a braintwin twin file (kind={kind!r}, expected {KIND!r})", source=src, field="kind")
    version = int(f.attrs.get("format_version", -1))
    if not 1 <= version <= FORMAT_VERSION:
        raise InputError(f"unsupported twin format {version} (this braintwin reads 1 to {FORMAT_VERSION})", source=src, field="format_version")


def verify_twin(path: str | os.PathLike) -> dict[str, Any]:
    """Check a twin file's header, file checksum and content checksum without building the twin.

    Parameters
    ----------
    path : str or path

    Returns
    -------
    dict
        ``path``, ``size``, ``format_version``, ``subject_id``, ``content_sha256``
        and ``ok`` (always ``True``: a failed check raises).

    Raises
    ------
    InputError
        ``field="file"`` (missing, truncated, unreadable), ``"kind"`` (not a
        twin file) or ``"checksum"`` (corrupted).
    """
    path = _existing(path)
    src = str(path)
    _check_header(path)
    with _open(path) as f:
        _check_kind(f, src)
        _check_versions_agree(f, path)
        computed = _verify_content(f, src)
        return {
            "path": src,
            "size": path.stat().st_size,
            "format_version": int(f.attrs["format_version"]),
            "subject_id": str(f.attrs.get("subject_id")),
            "content_sha256": computed,
            "ok": True,
        }


def _check_versions_agree(f: h5py.File, path: Path) -> None:
    head, body = _header_version(path), int(f.attrs["format_version"])
    if head != body:
        raise InputError(f"the header says format {head}, the content {body}", source=str(path), field="checksum")


def _existing(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=str(path), field="file")
    if not path.is_file():
        raise InputError("not a file", source=str(path), field="file")
    return path


def _verify_content(f: h5py.File, src: str) -> str:
    stored = f.attrs.get("content_sha256")
    try:
        computed = content_checksum(f)
    except Exception as e:  # HDF5 raised while reading damaged structures
        raise InputError(f"the file is corrupted: HDF5 could not read it back ({e})", source=src, field="file") from None
    if stored is None:
        raise InputError("no content checksum recorded (content_sha256)", source=src, field="checksum")
    if str(stored) != computed:
        raise InputError(
            "content checksum mismatch: the stored values differ from those saved (corrupted, or modified outside braintwin)",
            source=src,
            field="checksum",
        )
    return computed


def read_parts(path: str | os.PathLike, build, *, verify: bool = True):
    """Verify a twin file (unless ``verify`` is False) and return ``build(**parts)`` with ``source`` set.

    ``build`` is the :class:`~braintwin.Twin` class (passed in, so this module
    does not import it).  Errors name the file and the field; see
    :func:`braintwin.twin.read_twin`.
    """
    path = _existing(path)
    src = str(path)
    if verify:
        _check_header(path)
    with _open(path) as f:
        _check_kind(f, src)
        if verify:
            _check_versions_agree(f, path)
            _verify_content(f, src)
        try:
            twin = build(**_read_contents(f, src))
        except InputError as e:
            raise InputError(e.problem, source=src, field=e.field) from e
        except Exception as e:  # a damaged or hand-edited file (KeyError, JSON, HDF5 errors, ...)
            raise InputError(f"malformed twin file: {type(e).__name__}: {e}", source=src, field="file") from None
    twin.source = src
    return twin
