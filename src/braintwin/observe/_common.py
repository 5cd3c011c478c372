"""Helpers shared by the observation monitors."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def _norm_expr(s: str) -> str:
    return "".join(str(s).split())


def output_index(output, outputs, who: str) -> int:
    outputs = tuple(outputs)
    if not outputs:
        raise InputError("the simulation records no outputs", source=who, field="output")
    if output is None:
        return 0
    if isinstance(output, (int, np.integer)):
        if not 0 <= int(output) < len(outputs):
            raise InputError(f"output index {output} out of range for outputs {outputs}", source=who, field="output")
        return int(output)
    want = _norm_expr(output)
    for i, o in enumerate(outputs):
        if _norm_expr(o) == want:
            return i
    raise InputError(
        f"output {output!r} is not recorded; outputs are {outputs} (add it with simulate(outputs=[...]))",
        source=who, field="output",
    )
