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
