"""Outline of a parsed Manuscript: a JSON-ready dict and a readable terminal tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audiopack.model import Chapter, Manuscript
from audiopack.output.texts import format_time
from audiopack.speech.sentences import SpeechOptions, SpeechSentence, speech_sentences

#: Characters shown of each point in the terminal tree.
PREVIEW_CHARS = 20


def outline_dict(m: Manuscript) -> dict[str, Any]:
    """{"title", "chapters": [{"kind", "title", "points": [{"title", "text"}]}]}, in that order,
    and "document" (the GB/T 9704 elements found, see DocumentParts) when there are any."""
    out: dict[str, Any] = {
        "title": m.title,
        "chapters": [
            {
                "kind": chapter.kind,
                "title": chapter.title,
                "points": [{"title": p.title, "text": p.text} for p in chapter.points],
            }
            for chapter in m.chapters
        ],
    }
    document = m.document.as_dict()
    if document:
        out["document"] = document
    return out


def spoken_chars(chapter: Chapter) -> int:
    """Non-whitespace characters spoken in a chapter: its heading and all point texts."""
    text = chapter.heading + "".join(p.text for p in chapter.points)
    return sum(1 for ch in text if not ch.isspace())


def _estimate(chars: int, chars_per_second: float) -> str:
    return format_time(chars / chars_per_second if chars_per_second > 0 else 0.0)


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS] + "…"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def outline_text(m: Manuscript, chars_per_second: float = 4.0) -> str:
    """A tree for the terminal: one line per chapter, one per point (first ~20 characters).

    Durations are estimates at ``chars_per_second`` (mm:ss), not measured audio.
    """
    total_chars = sum(spoken_chars(c) for c in m.chapters)
    total_points = sum(len(c.points) for c in m.chapters)
    lines = [
        f"{m.title}  ({_count(len(m.chapters), 'chapter')}, {_count(total_points, 'point')}, "
        f"{_count(total_chars, 'char')}, ~{_estimate(total_chars, chars_per_second)})"
    ]
    width = len(str(len(m.chapters)))
    for index, chapter in enumerate(m.chapters, start=1):
        chars = spoken_chars(chapter)
        lines.append(
            f"{index:>{width}}. [{chapter.kind}] {chapter.title}  "
            f"({_count(len(chapter.points), 'point')}, {_count(chars, 'char')}, "
            f"~{_estimate(chars, chars_per_second)})"
        )
        for number, point in enumerate(chapter.points, start=1):
            mark = "#" if point.numbered else "-"
            lines.append(f"{' ' * (width + 2)}{index}.{number} {mark} {_preview(point.text)}")
    return "\n".join(lines)


def speech_outline(m: Manuscript, options: SpeechOptions) -> dict[str, Any]:
    """:func:`outline_dict` with each point's ``sentences``: ``[{"text", "speech", "pinyin"}]``.

    ``speech`` is the text after normalisation, ``pinyin`` the reading string (toned syllables,
    see :mod:`audiopack.speech.reading`) a pinyin-form engine is given, or None for an engine that
    decides its own readings (the Edge voices).
    """
    outline = outline_dict(m)

    def pinyin(sentence: SpeechSentence) -> str | None:
        return sentence.reading if options.input_form == "pinyin" else None

    for chapter, shown in zip(m.chapters, outline["chapters"], strict=True):
        for point, entry in zip(chapter.points, shown["points"], strict=True):
            entry["sentences"] = [
                {"text": s.display.strip(), "speech": s.spoken, "pinyin": pinyin(s)}
                for s in speech_sentences(point.text, options)
                if s.display.strip()
            ]
    return outline


def speech_text(m: Manuscript, options: SpeechOptions) -> str:
    """Each sentence as shown (显示) and, where it differs, as spoken (朗读) and as read by
    the offline engine (拼音, where its reading string is what the engine is given)."""
    lines = []
    for number, chapter in enumerate(m.chapters, 1):
        lines.append(f"{number:02d} {chapter.title}")
        for point in chapter.points:
            for sentence in speech_sentences(point.text, options):
                shown = sentence.display.strip()
                if not shown:
                    continue
                lines.append(f"   显示: {shown}")
                if sentence.spoken != shown:
                    lines.append(f"   朗读: {sentence.spoken}")
                if sentence.reading:
                    lines.append(f"   拼音: {sentence.reading}")
    return "\n".join(lines)


def speech_options(
    engine: str, placeholder: str = "某", lexicon: Path | None = None
) -> SpeechOptions:
    """The speech settings ``engine`` builds with: the Edge voices read digits themselves."""
    from audiopack.engines import input_form
    from audiopack.speech.sentences import load_lexicon

    return SpeechOptions(
        numbers=engine != "edge",
        placeholder=placeholder,
        lexicon=load_lexicon(lexicon),
        input_form=input_form(engine),
    )


def render(
    m: Manuscript,
    *,
    as_json: bool = False,
    speech_engine: str | None = None,
    placeholder: str = "某",
    lexicon: Path | None = None,
) -> str:
    """What ``audiopack outline`` prints: the tree or its JSON; with ``speech_engine``, each
    sentence also as that engine is given it (``--speech``: see :func:`speech_options`)."""
    if speech_engine is None:
        return (
            json.dumps(outline_dict(m), ensure_ascii=False, indent=1)
            if as_json
            else outline_text(m)
        )
    options = speech_options(speech_engine, placeholder, lexicon)
    if as_json:
        return json.dumps(speech_outline(m, options), ensure_ascii=False, indent=1)
    return speech_text(m, options)
