"""Where everything is heard: sentences, points and chapters on the chapter and book timelines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audiopack.model import Chapter


@dataclass(frozen=True)
class SentenceTime:
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class PointTime:
    title: str
    text: str
    start_s: float
    end_s: float
    sentences: tuple[SentenceTime, ...]


@dataclass(frozen=True)
class ChapterTime:
    """A chapter's times: ``start_s``/``end_s`` on the book, the rest inside its own file."""

    number: int
    chapter: Chapter
    stem: str
    file: str | None
    start_s: float
    end_s: float
    heading: SentenceTime | None
    points: tuple[PointTime, ...]

    @property
    def duration_s(self) -> float:
        return round(self.end_s - self.start_s, 3)


def index_document(
    title: str,
    source: dict[str, str],
    engine: dict[str, Any],
    chapters: tuple[ChapterTime, ...],
    book_file: str | None,
) -> dict[str, Any]:
    """The index.json object (schema 1), see README."""
    return {
        "schema": 1,
        "title": title,
        "source": source,
        "engine": engine,
        "duration": chapters[-1].end_s if chapters else 0.0,
        "book": {"file": book_file} if book_file else None,
        "chapters": [
            {
                "kind": c.chapter.kind,
                "title": c.chapter.title,
                "file": c.file,
                "start": c.start_s,
                "end": c.end_s,
                "points": [
                    {
                        "title": p.title,
                        "text": p.text,
                        "start": p.start_s,
                        "end": p.end_s,
                        "sentences": [
                            {"text": s.text, "start": s.start_s, "end": s.end_s}
                            for s in p.sentences
                        ],
                    }
                    for p in c.points
                ],
            }
            for c in chapters
        ],
    }
