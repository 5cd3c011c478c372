"""Reports: one self-contained HTML file per twin, readable by a clinician.

::

    from braintwin.report import write_report
    write_report(twin, "report.html", comparison=bt.whatif.compare(twin, [...]))

The file embeds its figures (base64 PNG), has no JavaScript and no external
resource, states at the top that braintwin is a research tool, and shows only
the subject's pseudonymous ID.  See :mod:`braintwin.report.html`.
"""

from __future__ import annotations

from .html import DISCLAIMER, SECTIONS, register_section, render_report, write_report

__all__ = ["write_report", "render_report", "register_section", "SECTIONS", "DISCLAIMER"]
