"""A rich progress bar on stderr, shared by single runs and batches."""

from __future__ import annotations

import sys

__all__ = ["Bar", "progress_bar"]


class Bar:
    """A rich progress bar on stderr."""

    def __init__(self, total: int, what: str = "simulations"):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.p = Progress(
            TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False,
        )
        self.p.start()
        self.task = self.p.add_task(what, total=total)

    def advance(self, n: int = 1):
        self.p.advance(self.task, n)

    def close(self):
        self.p.stop()


def progress_bar(progress: bool | None, n: int, n_steps: int):
    if progress is None:
        progress = n > 1 and sys.stderr.isatty()
    return Bar(n, "simulations") if progress else None
