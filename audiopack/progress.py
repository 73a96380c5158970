"""A progress bar on the terminal (stderr) for the Progress protocol of the pipeline."""

from __future__ import annotations

import sys
from typing import Any


class TqdmProgress:
    """A progress bar on stderr (tqdm); one bar per stage."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, label: str, total: int) -> None:
        from tqdm import tqdm

        self.finish()
        self._bar = tqdm(
            total=total, desc=label, unit="", file=sys.stderr, leave=False, dynamic_ncols=True
        )

    def advance(self, amount: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(amount)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def terminal_progress(wanted: bool) -> TqdmProgress | None:
    """A bar when ``wanted`` and stderr is a terminal (not a file, pipe or CI log), else None."""
    return TqdmProgress() if wanted and sys.stderr.isatty() else None
