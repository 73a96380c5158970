"""A finished pack read back: its index as typed values, its audio as pydub segments.

``open_pack(folder)`` reads the pack's ``index.json``; nothing is decoded until a chapter's
``audio()`` is asked for, and then in this process through PyAV (no ffmpeg program needed).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    #: "point", or "jingle" for the user's own audio (no text, no sentences).
    kind: str = "point"


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
    #: The manuscript's sha256, as the build recorded it.
    source_sha256: str = ""
    #: The official-document elements found (发文字号, 主送, 署名 ...), see the README.
    document: Mapping[str, str] = field(default_factory=dict)

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
    return parse_index(read_index(folder), folder)


def read_index(folder: Path) -> dict[str, Any]:
    """The parsed index.json of a pack folder; PackError when it is not a pack folder."""
    path = folder / INDEX_FILE
    if not path.is_file():
        raise PackError(f"not a pack folder: {folder} (build one with 'audiopack build')")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise PackError(f"not a pack folder: {folder} (unreadable index.json: {e})") from e
    if not isinstance(value, dict) or not isinstance(value.get("chapters"), list):
        raise PackError(f"not a pack folder: {folder} (index.json has no chapter list)")
    return value


def parse_index(index: Mapping[str, Any], folder: Path) -> Pack:
    """The pack an index.json object describes, its files under ``folder``.

    Tolerant, because a pack folder may come from anywhere (a chat group, a USB stick): values
    of the wrong type read as empty or zero, and a file name that is not a plain name inside
    the folder (``../x``, ``/etc/passwd``) reads as no file. Only a missing chapter list or a
    chapter that is not an object is an error.
    """
    if not isinstance(index, Mapping) or not isinstance(index.get("chapters"), list):
        raise PackError("invalid index.json: no chapter list")
    book_info = index.get("book")
    book = _file(folder, book_info.get("file")) if isinstance(book_info, Mapping) else None
    chapters = []
    for raw in index["chapters"]:
        if not isinstance(raw, Mapping):
            raise PackError("invalid index.json: a chapter is not an object")
        points = tuple(_point(p) for p in _list(raw.get("points")) if isinstance(p, Mapping))
        chapters.append(
            PackChapter(
                kind=_str(raw.get("kind")) or "section",
                title=_str(raw.get("title")),
                file=_file(folder, raw.get("file")),
                start_s=_seconds(raw.get("start")),
                end_s=_seconds(raw.get("end")),
                points=points,
                book=book,
            )
        )
    source = index.get("source")
    document = index.get("document")
    engine = index.get("engine")
    return Pack(
        folder=folder,
        title=_str(index.get("title")),
        duration_s=_seconds(index.get("duration")) or (chapters[-1].end_s if chapters else 0.0),
        chapters=tuple(chapters),
        book=book,
        engine=dict(engine) if isinstance(engine, Mapping) else {},
        source_sha256=_str(source.get("sha256")) if isinstance(source, Mapping) else "",
        document={k: _str(v) for k, v in document.items()} if isinstance(document, Mapping) else {},
    )


def plain_name(name: Any) -> str | None:
    """``name`` if it is a plain file name (no folder part, not hidden), else None."""
    if not isinstance(name, str) or not name or name.startswith("."):
        return None
    if "/" in name or "\\" in name or "\x00" in name:
        return None
    return name


def _file(folder: Path, name: Any) -> Path | None:
    plain = plain_name(name)
    return folder / plain if plain else None


def _point(raw: Mapping[str, Any]) -> PackPoint:
    sentences = tuple(
        PackSentence(_str(s.get("text")), _seconds(s.get("start")), _seconds(s.get("end")))
        for s in _list(raw.get("sentences"))
        if isinstance(s, Mapping)
    )
    start = (
        _seconds(raw.get("start"))
        if "start" in raw
        else (sentences[0].start_s if sentences else 0.0)
    )
    return PackPoint(
        title=_str(raw.get("title")),
        text=_str(raw.get("text")),
        start_s=start,
        end_s=_seconds(raw.get("end")),
        sentences=sentences,
        kind=_str(raw.get("kind")) or "point",
    )


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _seconds(value: Any) -> float:
    """A finite, non-negative number of seconds; anything else is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return round(number, 3) if math.isfinite(number) and number > 0 else 0.0


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
