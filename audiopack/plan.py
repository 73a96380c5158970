"""Manuscript + settings -> what to synthesise and encode, each part named by a content key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from audiopack.audio import Codec, seconds_to_frames
from audiopack.cache import content_key
from audiopack.model import SAMPLE_RATE, Chapter, Manuscript
from audiopack.names import chapter_file_stems
from audiopack.speech import (
    SpeechOptions,
    SpeechSentence,
    chunk,
    speech_sentences,
    split_sentences,
)

LAYOUT_VERSION = 2
#: One request to an engine stays well below edge-tts's 4096-byte split.
REQUEST_MAX_CHARS = 300
SENTENCE_MAX_CHARS = 120


@dataclass(frozen=True)
class SegmentPlan:
    """One engine request: consecutive spoken sentences of one piece."""

    key: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class PiecePlan:
    """The audio of one heading or point: its sentences, their requests, and its pauses."""

    key: str
    kind: Literal["heading", "point"]
    point_index: int | None
    sentences: tuple[SpeechSentence, ...]
    segments: tuple[SegmentPlan, ...]
    lead_frames: int
    gap_frames: int
    tail_frames: int


@dataclass(frozen=True)
class ChapterPlan:
    number: int
    chapter: Chapter
    stem: str
    pieces: tuple[PiecePlan, ...]


@dataclass(frozen=True)
class BuildPlan:
    manuscript: Manuscript
    chapters: tuple[ChapterPlan, ...]
    engine: dict[str, str]

    @property
    def segments(self) -> tuple[SegmentPlan, ...]:
        """Every distinct request, in order."""
        seen: dict[str, SegmentPlan] = {}
        for chapter in self.chapters:
            for piece in chapter.pieces:
                for segment in piece.segments:
                    seen.setdefault(segment.key, segment)
        return tuple(seen.values())

    @property
    def pieces(self) -> tuple[PiecePlan, ...]:
        seen: dict[str, PiecePlan] = {}
        for chapter in self.chapters:
            for piece in chapter.pieces:
                seen.setdefault(piece.key, piece)
        return tuple(seen.values())


@dataclass(frozen=True)
class Pauses:
    sentence_s: float
    point_s: float
    heading_s: float


class SpeechMemo:
    """Remembers the spoken sentences of each text between builds.

    Normalising text can load jieba (about a second); a rebuild only pays that for the texts
    that changed. Keyed by the text and every option that changes the result.
    """

    VERSION = 2

    def __init__(self, speech: SpeechOptions, entries: dict[str, list[list[str]]] | None = None):
        self.speech = speech
        self.options_key = content_key({
            "v": self.VERSION, "numbers": speech.numbers, "placeholder": speech.placeholder,
            "lexicon": speech.lexicon.fingerprint(), "max": SENTENCE_MAX_CHARS,
        })  # fmt: skip
        self.known = entries or {}
        self.used: dict[str, list[list[str]]] = {}

    def sentences(self, text: str) -> tuple[SpeechSentence, ...]:
        # Remembered sentence by sentence, so an edit pays only for the sentence it touched.
        result: list[SpeechSentence] = []
        for sentence in split_sentences(text):
            key = content_key([self.options_key, sentence])
            found = self.known.get(key)
            if found is None or "".join(d for d, _ in found) != sentence:
                spoken = speech_sentences(sentence, self.speech, max_chars=SENTENCE_MAX_CHARS)
                found = [[s.display, s.spoken] for s in spoken]
            self.used[key] = found
            result.extend(SpeechSentence(d, sp) for d, sp in found)
        return tuple(result)

    @property
    def changed(self) -> bool:
        return self.used != self.known


def _plan_piece(
    kind: Literal["heading", "point"],
    point_index: int | None,
    text: str,
    memo: SpeechMemo,
    engine: dict[str, str],
    pauses: Pauses,
    codecs: tuple[Codec, ...],
) -> PiecePlan:
    sentences = memo.sentences(text)
    spoken = [s for s in sentences if s.spoken]
    segments = tuple(
        SegmentPlan(
            content_key(
                {
                    "engine": engine,
                    "texts": [s.spoken for s in group],
                    "format": f"s16le/{SAMPLE_RATE}/mono",
                }
            ),
            tuple(s.spoken for s in group),
        )
        for group in chunk(spoken, max_chars=REQUEST_MAX_CHARS)
    )
    lead = seconds_to_frames(pauses.point_s / 2)
    gap = seconds_to_frames(pauses.sentence_s)
    tail_s = pauses.heading_s - pauses.point_s / 2 if kind == "heading" else pauses.point_s / 2
    tail = seconds_to_frames(max(0.0, tail_s))
    key = content_key({
        "layout": LAYOUT_VERSION,
        "segments": [s.key for s in segments],
        "spoken": [bool(s.spoken) for s in sentences],
        "pauses": [lead, gap, tail],
        "codecs": [c.tag for c in codecs],
    })  # fmt: skip
    return PiecePlan(key, kind, point_index, sentences, segments, lead, gap, tail)


def make_plan(
    manuscript: Manuscript,
    engine: dict[str, str],
    speech: SpeechOptions | SpeechMemo,
    pauses: Pauses,
    codecs: tuple[Codec, ...],
) -> BuildPlan:
    memo = speech if isinstance(speech, SpeechMemo) else SpeechMemo(speech)
    stems = chapter_file_stems([c.title for c in manuscript.chapters], manuscript.chapters)
    chapters = []
    for number, (chapter, stem) in enumerate(zip(manuscript.chapters, stems, strict=True), 1):
        pieces = []
        if chapter.heading:
            pieces.append(
                _plan_piece("heading", None, chapter.heading, memo, engine, pauses, codecs)
            )
        for index, point in enumerate(chapter.points):
            pieces.append(_plan_piece("point", index, point.text, memo, engine, pauses, codecs))
        chapters.append(ChapterPlan(number, chapter, stem, tuple(pieces)))
    return BuildPlan(manuscript, tuple(chapters), engine)
