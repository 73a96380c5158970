"""Where everything is heard: sentences, points and chapters on the chapter and book timelines.

Sentences and points are the same values a pack is read back as (:mod:`audiopack.output.packs`),
so the index is modelled once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audiopack.audio import layout as audio
from audiopack.model import Chapter
from audiopack.output.packs import PackPoint, PackSentence
from audiopack.planning import BuildPlan


@dataclass(frozen=True)
class ChapterTime:
    """A chapter's times: ``start_s``/``end_s`` on the book, the rest inside its own file."""

    number: int
    chapter: Chapter
    stem: str
    file: str | None
    start_s: float
    end_s: float
    heading: PackSentence | None
    points: tuple[PackPoint, ...]

    @property
    def duration_s(self) -> float:
        return round(self.end_s - self.start_s, 3)


def index_document(
    title: str,
    source: dict[str, str],
    engine: dict[str, Any],
    chapters: tuple[ChapterTime, ...],
    book: Mapping[str, str] | None,
    document: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The index.json object (schema 1), see README. ``book``: the book files by format
    ("m4b", "mp3"); ``book.file`` names the M4B when there is one, else the book MP3.
    ``document``: the official-document elements found (DocumentParts.as_dict())."""
    book_entry = None
    if book:
        book_entry = {"file": book.get("m4b") or book["mp3"], **book}
    return {
        "schema": 1,
        "title": title,
        "source": source,
        "document": dict(document or {}),
        "engine": engine,
        "duration": chapters[-1].end_s if chapters else 0.0,
        "book": book_entry,
        "chapters": [
            {
                "kind": c.chapter.kind,
                "title": c.chapter.title,
                "file": c.file,
                "start": c.start_s,
                "end": c.end_s,
                "points": [
                    {
                        **({"kind": p.kind} if p.kind != "point" else {}),
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


def chapter_times(
    plan: BuildPlan,
    piece_records: Mapping[str, Mapping[str, Any]],
    timeline_codec: str,
    mp3_files: bool,
) -> tuple[ChapterTime, ...]:
    """Every chapter's place in the book and every sentence's in its chapter, from the
    pieces' cached records (``piece_records``: piece key to its metadata)."""
    delay = audio.MP3_DELAY if timeline_codec == "mp3" else audio.AAC_DELAY
    rate = plan.sample_rate
    result = []
    book_position = 0.0
    for chapter in plan.chapters:
        position = 0  # decoded frames inside the chapter file
        heading_times: list[PackSentence] = []
        point_times: dict[int, list[PackSentence]] = {}
        point_starts: dict[int, float] = {}
        jingles: list[PackPoint] = []
        for piece in chapter.pieces:
            meta = piece_records[piece.key]
            spans = meta.get("spans", [])
            decoded = int(meta.get(f"{timeline_codec}_frames") or meta["decoded_frames"])
            if piece.kind == "jingle":
                a, b = meta["sound"]
                start = audio.frames_to_seconds(position + delay + a, rate)
                end = audio.frames_to_seconds(position + delay + b, rate)
                jingles.append(PackPoint(piece.title, "", start, end, (), "jingle"))
                position += decoded
                continue
            times = []
            for sentence, (a, b) in zip(piece.sentences, spans, strict=True):
                text = sentence.display.strip()
                start = audio.frames_to_seconds(position + delay + a, rate)
                end = audio.frames_to_seconds(position + delay + b, rate)
                if text:
                    times.append(PackSentence(text, start, end))
            if piece.point_index is None:
                heading_times += times
            else:
                point_times.setdefault(piece.point_index, []).extend(times)
                point_starts.setdefault(piece.point_index, audio.frames_to_seconds(position, rate))
            position += decoded
        heading = None
        if heading_times:
            heading = PackSentence(chapter.chapter.heading.strip(), heading_times[0].start_s,
                                   heading_times[-1].end_s)  # fmt: skip
        # Jingles lead their chapter (a chime before the heading) or are all of it (intro,
        # outro): they come first among its items.
        points: list[PackPoint] = jingles
        for index, point in enumerate(chapter.chapter.points):
            times = point_times.get(index, [])
            spoken = [t for t in times if t.end_s > t.start_s] or times
            start_s = spoken[0].start_s if spoken else point_starts.get(index, 0.0)
            end_s = spoken[-1].end_s if spoken else start_s
            points.append(PackPoint(point.title, point.text, start_s, end_s, tuple(times)))
        length_s = audio.frames_to_seconds(position, rate)
        file = f"{chapter.stem}.mp3" if mp3_files else None
        result.append(
            ChapterTime(
                chapter.number,
                chapter.chapter,
                chapter.stem,
                file,
                round(book_position, 3),
                round(book_position + length_s, 3),
                heading,
                tuple(points),
            )
        )
        book_position += length_s
    return tuple(result)
