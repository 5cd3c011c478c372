import numpy as np
from pathlib import Path

def write_edf(path, data, fs, labels, *, patient="X 123 M 04-MAR-1980 John_Smith", recording="Startdate 02-JAN-2020 X DrWho DeviceSN123", annotations=(), bdf=False):
    """EDF+ writer (uV, 16-bit), 1-s records, optional EDF Annotations channel."""
    data = np.asarray(data, float)  # (n_channels, n_times) in V
    n_ch, n_t = data.shape
    fs = int(fs); n_rec = n_t // fs
    uv = data * 1e6
    pmin, pmax = -3276.8, 3276.7
    dmin, dmax = -32768, 32767
    ann = list(annotations)
    n_sig = n_ch + 1
    ann_len = 60  # samples (2 bytes each) per record for annotations
    def f(s, n): s = str(s); assert len(s) <= n, s; return s.ljust(n).encode("ascii")
    h = f("0", 8) + f(patient, 80) + f(recording, 80) + f("02.01.20", 8) + f("10.00.00", 8)
    h += f(256 * (n_sig + 1), 8) + f("EDF+C", 44) + f(n_rec, 8) + f(1, 8) + f(n_sig, 4)
    labs = list(labels) + ["EDF Annotations"]
    h += b"".join(f(l, 16) for l in labs)
    h += b"".join(f("", 80) for _ in labs)
    h += b"".join(f("uV", 8) for _ in labels) + f("", 8)
    h += b"".join(f(pmin, 8) for _ in labels) + f(-1, 8)
    h += b"".join(f(pmax, 8) for _ in labels) + f(1, 8)
    h += b"".join(f(dmin, 8) for _ in labs)
    h += b"".join(f(dmax, 8) for _ in labs)
    h += b"".join(f("", 80) for _ in labs)
    h += b"".join(f(fs, 8) for _ in labels) + f(ann_len, 8)
    h += b"".join(f("", 32) for _ in labs)
    dig = np.clip(np.round((uv - pmin) / (pmax - pmin) * (dmax - dmin) + dmin), dmin, dmax).astype("<i2")
    out = bytearray(h)
    for r in range(n_rec):
        out += dig[:, r * fs:(r + 1) * fs].tobytes()
        tal = f"+{r}\x14\x14\x00".encode()
        if r == 0:
            for on, dur, desc in ann:
                tal += f"+{on}\x15{dur}\x14{desc}\x14\x00".encode()
        out += tal.ljust(ann_len * 2, b"\x00")
    Path(path).write_bytes(bytes(out))

def write_brainvision(path, data, fs, labels, *, markers=()):
    path = Path(path); stem = path.stem
    data = np.asarray(data, float)
    (path.with_suffix(".eeg")).write_bytes((data.T * 1e6).astype("<f4").tobytes())
    ch = "\n".join(f"Ch{i+1}={l},,1,µV" for i, l in enumerate(labels))
    path.write_text(f"""Brain Vision Data Exchange Header File Version 1.0
[Common Infos]
Codepage=UTF-8
DataFile={stem}.eeg
MarkerFile={stem}.vmrk
DataFormat=BINARY
DataOrientation=MULTIPLEXED
NumberOfChannels={len(labels)}
SamplingInterval={1e6/fs}
[Binary Infos]
BinaryFormat=IEEE_FLOAT_32
[Channel Infos]
{ch}
[Comment]
Patient: John Smith
""", encoding="utf-8")
    mk = "\n".join(f"Mk{i+2}=Comment,{d},{int(on*fs)+1},1,0" for i, (on, d) in enumerate(markers))
    (path.with_suffix(".vmrk")).write_text(f"""Brain Vision Data Exchange Marker File, Version 1.0
[Common Infos]
Codepage=UTF-8
DataFile={stem}.eeg
[Marker Infos]
Mk1=New Segment,,1,1,0,20200102100000000000
{mk}
""", encoding="utf-8")
