"""Manuscript + settings -> what to synthesise and encode, each part named by a content key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from audiopack.audio.codec import Codec
from audiopack.audio.layout import seconds_to_frames
from audiopack.cache import content_key
from audiopack.model import SAMPLE_RATE, Chapter, Manuscript
from audiopack.output.names import chapter_file_stems
from audiopack.speech.reading import WordReadings, reading_version
from audiopack.speech.sentences import (
    SpeechOptions,
    SpeechSentence,
    speech_sentences,
    split_sentences,
)

LAYOUT_VERSION = 3
#: Spoken characters in one request, which is also one piece of audio: far below edge-tts's
#: 4096-byte split, and small (about one sentence, 10 s) so that an edit re-synthesises and
#: re-encodes little more than the sentence it touched, and memory stays flat however long a
#: paragraph is. A single sentence may be longer, up to SENTENCE_MAX_CHARS. Pieces of one point
#: are joined with a sentence pause plus the frame padding (0 to 0.43 s).
REQUEST_MAX_CHARS = 50
SENTENCE_MAX_CHARS = 120


@dataclass(frozen=True)
class SegmentPlan:
    """One engine request: consecutive spoken sentences of one piece."""

    key: str
    texts: tuple[str, ...]
    #: Where the request comes from, for messages: "chapter 2, point 3 (一要坚守…)".
    label: str = field(default="", compare=False)


@dataclass(frozen=True)
class PiecePlan:
    """Audio of (part of) one heading or point: its sentences, its request, and its pauses;
    or a jingle (the user's own audio, audiopack.audio.jingles): no sentences, no requests."""

    key: str
    kind: Literal["heading", "point", "jingle"]
    point_index: int | None
    sentences: tuple[SpeechSentence, ...]
    segments: tuple[SegmentPlan, ...]
    lead_frames: int
    gap_frames: int
    tail_frames: int
    #: What a jingle is called in the index ("片头"); empty for speech.
    title: str = ""


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
    #: Samples per second of all audio in the plan: the engine's own rate.
    sample_rate: int = SAMPLE_RATE

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

    VERSION = 3
    #: Word readings kept beyond this many are dropped at the next save (all but this build's).
    MAX_WORDS = 50_000

    def __init__(self, speech: SpeechOptions, entries: dict[str, list[list[str]]] | None = None):
        self.speech = speech
        self.options_key = content_key({
            "v": self.VERSION, "numbers": speech.numbers, "placeholder": speech.placeholder,
            "lexicon": speech.lexicon.fingerprint(), "max": SENTENCE_MAX_CHARS,
            "input": speech.input_form, "reading": _reading_version(speech),
        })  # fmt: skip
        self.known = entries or {}
        self.used: dict[str, list[list[str]]] = {}
        #: pypinyin's readings of the words met so far: an edit's new sentence is mostly made
        #: of words the pack has already, and then pypinyin is not loaded at all.
        self.words: WordReadings = {}
        self._loaded_words = 0

    def load_words(self, words: WordReadings) -> None:
        """Word readings saved by an earlier build."""
        self.words = {k: v for k, v in words.items() if isinstance(k, str) and isinstance(v, str)}
        self._loaded_words = len(self.words)

    def words_to_save(self) -> WordReadings:
        """The word readings to keep: all, or only this build's once there are too many."""
        if len(self.words) <= self.MAX_WORDS:
            return self.words
        return dict(list(self.words.items())[self._loaded_words :])

    def sentences(self, text: str) -> tuple[SpeechSentence, ...]:
        # Remembered sentence by sentence, so an edit pays only for the sentence it touched.
        result: list[SpeechSentence] = []
        for sentence in split_sentences(text):
            key = content_key([self.options_key, sentence])
            found = self.known.get(key)
            if found is None or "".join(entry[0] for entry in found) != sentence:
                spoken = speech_sentences(
                    sentence, self.speech, max_chars=SENTENCE_MAX_CHARS, words=self.words
                )
                found = [[s.display, s.spoken, s.reading] for s in spoken]
            self.used[key] = found
            result.extend(SpeechSentence(*entry) for entry in found)
        return tuple(result)

    @property
    def changed(self) -> bool:
        return self.used != self.known or len(self.words) != self._loaded_words


def _reading_version(speech: SpeechOptions) -> str | None:
    return reading_version() if speech.input_form == "pinyin" else None


def _group(sentences: tuple[SpeechSentence, ...]) -> list[list[SpeechSentence]]:
    """Consecutive sentences in groups of at most REQUEST_MAX_CHARS spoken characters (an
    unspoken sentence rides along with its neighbours): one request and one piece each, so
    that no piece, and no edit, is larger than that however long the paragraph."""
    groups: list[list[SpeechSentence]] = [[]]
    size = 0
    for sentence in sentences:
        length = len(sentence.spoken)
        if sentence.spoken and size and size + length > REQUEST_MAX_CHARS:
            groups.append([])
            size = 0
        groups[-1].append(sentence)
        size += length
    return groups


def _plan_pieces(
    kind: Literal["heading", "point"],
    point_index: int | None,
    text: str,
    label: str,
    memo: SpeechMemo,
    engine: dict[str, str],
    pauses: Pauses,
    codecs: tuple[Codec, ...],
    rate: int,
) -> list[PiecePlan]:
    """The pieces of one heading or point. Between the pieces of one point lies a sentence
    pause (plus the frame-grid padding); around the point, half a point pause on each side."""
    groups = _group(memo.sentences(text))
    gap = seconds_to_frames(pauses.sentence_s, rate)
    edge_lead = seconds_to_frames(pauses.point_s / 2, rate)
    edge_tail_s = pauses.heading_s - pauses.point_s / 2 if kind == "heading" else pauses.point_s / 2
    edge_tail = seconds_to_frames(max(0.0, edge_tail_s), rate)
    pieces = []
    for index, group in enumerate(groups):
        spoken = [s.request for s in group if s.spoken]
        segments: tuple[SegmentPlan, ...] = ()
        if spoken:
            segment_key = content_key(
                {"engine": engine, "texts": spoken, "format": f"s16le/{rate}/mono"}
            )
            segments = (SegmentPlan(segment_key, tuple(spoken), label),)
        lead = edge_lead if index == 0 else gap // 2
        tail = edge_tail if index == len(groups) - 1 else gap - gap // 2
        key = content_key({
            "layout": LAYOUT_VERSION,
            "segments": [s.key for s in segments],
            "spoken": [bool(s.spoken) for s in group],
            "pauses": [lead, gap, tail],
            "codecs": [c.tag for c in codecs],
        })  # fmt: skip
        pieces.append(PiecePlan(key, kind, point_index, tuple(group), segments, lead, gap, tail))
    return pieces


def make_plan(
    manuscript: Manuscript,
    engine: dict[str, str],
    speech: SpeechOptions | SpeechMemo,
    pauses: Pauses,
    codecs: tuple[Codec, ...],
    rate: int = SAMPLE_RATE,
    on_piece: Callable[[PiecePlan], None] | None = None,
) -> BuildPlan:
    """The plan of ``manuscript``; ``on_piece`` is told of every piece as soon as it is
    planned, so that its speech can be synthesised while the rest is being planned."""
    memo = speech if isinstance(speech, SpeechMemo) else SpeechMemo(speech)
    stems = chapter_file_stems(manuscript.chapters)
    chapters = []
    for number, (chapter, stem) in enumerate(zip(manuscript.chapters, stems, strict=True), 1):
        pieces: list[PiecePlan] = []
        texts: list[tuple[Literal["heading", "point"], int | None, str, str]] = []
        if chapter.heading:
            texts.append(("heading", None, chapter.heading, f"chapter {number} heading"))
        for point_index, point in enumerate(chapter.points):
            label = f"chapter {number}, point {point_index + 1} ({point.title[:12]})"
            texts.append(("point", point_index, point.text, label))
        for kind, index, text, label in texts:
            planned = _plan_pieces(kind, index, text, label, memo, engine, pauses, codecs, rate)
            if on_piece is not None:
                for piece in planned:
                    on_piece(piece)
            pieces += planned
        chapters.append(ChapterPlan(number, chapter, stem, tuple(pieces)))
    return BuildPlan(manuscript, tuple(chapters), engine, rate)
