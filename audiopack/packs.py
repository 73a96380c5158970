"""A finished pack read back: its index as typed values, its audio as pydub segments.

``open_pack(folder)`` reads the pack's ``index.json``; nothing is decoded until a chapter's
``audio()`` is asked for, and then in this process through PyAV (no ffmpeg program needed).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiopack.errors import PackError

if TYPE_CHECKING:
    from pydub import AudioSegment

INDEX_FILE = "index.json"


@dataclass(frozen=True)
class PackSentence:
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class PackPoint:
    title: str
    text: str
    #: Inside the chapter's own file (or from the chapter's start in the book, see the README).
    start_s: float
    end_s: float
    sentences: tuple[PackSentence, ...]


@dataclass(frozen=True)
class PackChapter:
    kind: str
    title: str
    #: The chapter's own audio file, or None when the pack has only the book.
    file: Path | None
    #: On the whole pack's timeline (chapters back to back).
    start_s: float
    end_s: float
    points: tuple[PackPoint, ...]
    book: Path | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def audio(self) -> AudioSegment:
        """The chapter's audio as a ``pydub.AudioSegment`` (mono, 16-bit, the pack's rate)."""
        if self.file is not None:
            return _decode(self.file, 0.0, None)
        if self.book is not None:
            return _decode(self.book, self.start_s, self.end_s)
        raise PackError(f"chapter {self.title!r} has no audio file in the pack")


@dataclass(frozen=True)
class Pack:
    folder: Path
    title: str
    duration_s: float
    chapters: tuple[PackChapter, ...]
    #: The whole book (M4B, or the book MP3), when the pack has one.
    book: Path | None
    engine: Mapping[str, Any]

    @property
    def points(self) -> tuple[PackPoint, ...]:
        return tuple(p for c in self.chapters for p in c.points)

    @property
    def sentences(self) -> tuple[PackSentence, ...]:
        return tuple(s for p in self.points for s in p.sentences)

    def audio(self) -> AudioSegment:
        """The whole pack as one ``pydub.AudioSegment`` (from the book when there is one)."""
        if self.book is not None:
            return _decode(self.book, 0.0, None)
        parts = [c.audio() for c in self.chapters if c.file is not None]
        if not parts:
            raise PackError(f"the pack in {self.folder} has no audio files")
        # Joined once: pydub's ``+`` copies everything so far, quadratic over many chapters.
        return _segment(b"".join(p.raw_data for p in parts), parts[0].frame_rate)


def open_pack(folder: str | Path) -> Pack:
    """Read the pack in ``folder`` (as ``audiopack build`` wrote it)."""
    folder = Path(folder)
    path = folder / INDEX_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackError(
            f"{folder} is not a pack: it has no {INDEX_FILE}; build one first"
        ) from None
    except (OSError, ValueError) as e:
        raise PackError(f"cannot read {path}: {e}") from e
    try:
        return _pack(folder, data)
    except (KeyError, TypeError, ValueError) as e:
        raise PackError(f"{path} is not a pack index audiopack understands ({e})") from e


def _pack(folder: Path, data: dict[str, Any]) -> Pack:
    book_info = data.get("book")
    book = folder / book_info["file"] if isinstance(book_info, dict) else None
    chapters = tuple(
        PackChapter(
            kind=str(c["kind"]),
            title=str(c["title"]),
            file=folder / c["file"] if c.get("file") else None,
            start_s=float(c["start"]),
            end_s=float(c["end"]),
            points=tuple(
                PackPoint(
                    title=str(p["title"]),
                    text=str(p["text"]),
                    start_s=float(p["start"]),
                    end_s=float(p["end"]),
                    sentences=tuple(
                        PackSentence(str(s["text"]), float(s["start"]), float(s["end"]))
                        for s in p.get("sentences", ())
                    ),
                )
                for p in c.get("points", ())
            ),
            book=book,
        )
        for c in data["chapters"]
    )
    return Pack(
        folder=folder,
        title=str(data["title"]),
        duration_s=float(data["duration"]),
        chapters=chapters,
        book=book,
        engine=dict(data.get("engine") or {}),
    )


def _decode(path: Path, start_s: float, end_s: float | None) -> AudioSegment:
    """Decode ``path`` from ``start_s`` to ``end_s`` into mono 16-bit PCM with PyAV."""
    import av

    chunks: list[bytes] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(bytes(out.planes[0])[: out.samples * 2])
            for out in resampler.resample(None):
                chunks.append(bytes(out.planes[0])[: out.samples * 2])
    except (OSError, av.FFmpegError) as e:
        raise PackError(f"cannot decode {path}: {e}") from e
    pcm = b"".join(chunks)
    first = round(start_s * rate) * 2
    last = len(pcm) if end_s is None else round(end_s * rate) * 2
    return _segment(pcm[first:last], rate)


def _segment(pcm: bytes, rate: int) -> AudioSegment:
    with warnings.catch_warnings():
        # pydub warns on import when no ffmpeg program is found; we decode without one.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
    return AudioSegment(data=pcm, sample_width=2, frame_rate=rate, channels=1)
