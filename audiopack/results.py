"""What the API's build and plan return (light: importing it loads no pipeline)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BuildResult:
    pack: Path
    chapters: int
    points: int
    duration_s: float
    synthesized: int
    reused: int
    files: tuple[str, ...]
    changed: tuple[str, ...]
    engine: str
    fallback_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "pack": str(self.pack),
            "chapters": self.chapters,
            "points": self.points,
            "duration": self.duration_s,
            "synthesized": self.synthesized,
            "reused": self.reused,
            "files": list(self.files),
            "changed": list(self.changed),
            "engine": self.engine,
        }

    def summary(self) -> str:
        """One line for the terminal: what the pack holds and what this build did."""
        from audiopack.output.texts import format_time

        return (
            f"{self.pack}: {self.chapters} chapters, {self.points} points, "
            f"{format_time(self.duration_s)} of audio ({self.engine}); "
            f"{self.synthesized} synthesised, {self.reused} reused, "
            f"{len(self.changed)} files updated"
        )


@dataclass(frozen=True)
class DryRunReport:
    pack: Path
    engine: str
    to_synthesize: tuple[str, ...]
    reused: int
    changed_files: tuple[str, ...]
    unchanged_files: tuple[str, ...]
    removed_files: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {
            "pack": str(self.pack),
            "engine": self.engine,
            "synthesize": list(self.to_synthesize),
            "reused": self.reused,
            "changed": list(self.changed_files),
            "unchanged": list(self.unchanged_files),
            "removed": list(self.removed_files),
        }

    def text(self) -> str:
        """For the terminal: a summary line, then each text to synthesise and file to change."""
        lines = [
            f"{self.pack} (engine {self.engine}): "
            f"{len(self.to_synthesize)} to synthesise, {self.reused} reused"
        ]
        lines += [f"  synthesise: {text[:40]}" for text in self.to_synthesize]
        lines += [f"  write:      {name}" for name in self.changed_files]
        lines += [f"  remove:     {name}" for name in self.removed_files]
        return "\n".join(lines)
