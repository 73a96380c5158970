"""The M4B audiobook: ADTS AAC parts joined without re-encoding, chapter marks, tags, cover.

Timing
------
The parts' AAC frames are joined as they are (audiopack.output.mp4), with no edit list, as ffmpeg
does for ADTS input (ADTS cannot say how much encoder delay it has). The M4B's timeline is therefore
exactly the decoded timeline of the joined parts, priming samples included: part k starts
at the sum of the decoded lengths (frames × 1024) of the parts before it, and the audio of
its PCM sample 0 is heard 1024 samples (ffmpeg's AAC priming) after that. Chapter marks
read back with :func:`read_m4b_chapters` equal what was written to the millisecond.

By default ``write_m4b`` takes chapter starts *in that timeline* and writes them as given
(audiopack.pipeline computes them so: decoded piece lengths plus AAC_DELAY).

A caller that has starts in the *speech timeline* instead (the parts' PCM laid end to end)
passes ``part_durations`` (each part's PCM length in seconds); each start is then moved
onto the file's timeline (:func:`map_chapter_starts`): a start where a part begins goes
on that part's first frame, any other goes to ``part_start + priming + offset``, exact to
the sample. Without that mapping every part would add its encoder delay and padding
(1024–2047 samples, 43–85 ms at 24 kHz) to the drift of every later mark.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audiopack.atomic import atomic_path
from audiopack.audio.layout import AAC_DELAY
from audiopack.errors import PackError, ToolError
from audiopack.output.mp4 import (
    FRAME_SAMPLES,
    AacTrack,
    AdtsStream,
    adts_with_sizes,
    parse_adts,
    write_m4b_file,
)
from audiopack.output.tags import BookTags, clean_text, tag_m4b_in_place

log = logging.getLogger(__name__)

#: Encoder delay of ffmpeg's native AAC encoder, in samples, at the start of every part.
PRIMING_SAMPLES = AAC_DELAY
#: The Nero "chpl" atom that players read stores a title in at most 255 UTF-8 bytes.
MAX_TITLE_BYTES = 255


@dataclass(frozen=True)
class AdtsInfo:
    """What the frame headers of an ADTS AAC stream say."""

    frames: int
    sample_rate: int
    channels: int

    @property
    def duration_s(self) -> float:
        return self.frames * FRAME_SAMPLES / self.sample_rate


def adts_info(data: bytes, name: str = "AAC data") -> AdtsInfo:
    """Count the AAC frames of an ADTS stream; PackError when it is not one."""
    stream = parse_adts(data, name)
    return AdtsInfo(len(stream.sizes), stream.sample_rate, stream.channels)


def _survey(part: Path, sizes: Any) -> tuple[Any, AdtsStream]:
    """The raw frame sizes of an ADTS part and its first frame (its format). Sizes remembered
    from encoding are trusted when the file's length agrees; otherwise every header is read."""
    try:
        if sizes is not None and len(sizes):
            known = np.asarray(sizes, dtype=np.int64)
            with part.open("rb") as source:
                head = source.read(int(known[0]) + 7)
                length = os.fstat(source.fileno()).st_size
            if length == int(known.sum()) + 7 * len(known):
                return known, parse_adts(head, str(part))
        data = part.read_bytes()
    except OSError as e:
        raise PackError(f"cannot read the AAC part {part}: {e.strerror or e}") from e
    stream = parse_adts(data, str(part))
    only_format = AdtsStream(b"", (), stream.sample_rate, stream.channels, stream.object_type)
    return np.asarray(stream.sizes, dtype=np.int64), only_format


def fit_title(title: str, max_bytes: int = MAX_TITLE_BYTES) -> str:
    """A one-line chapter title of at most ``max_bytes`` UTF-8 bytes, cut at a character."""
    title = clean_text(title)
    if len(title.encode("utf-8")) <= max_bytes:
        return title
    ellipsis = "…"
    budget = max_bytes - len(ellipsis.encode("utf-8"))
    cut = title.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return cut.rstrip() + ellipsis


def map_chapter_starts(
    starts: Sequence[float],
    parts: Sequence[AdtsInfo],
    part_durations: Sequence[float],
    priming_samples: int = PRIMING_SAMPLES,
) -> list[float]:
    """Move chapter starts from the speech timeline (the parts' PCM, of ``part_durations``
    seconds each, end to end) onto the joined AAC's decoded timeline (see module doc)."""
    if len(part_durations) != len(parts):
        raise ValueError("part_durations must have one entry per AAC part")
    if not parts:
        return [0.0 for _ in starts]
    actual_starts: list[float] = []
    nominal_starts: list[float] = []
    actual = nominal = 0.0
    for part, duration in zip(parts, part_durations, strict=True):
        actual_starts.append(actual)
        nominal_starts.append(nominal)
        actual += part.duration_s
        nominal += max(0.0, duration)
    total_actual = actual

    mapped: list[float] = []
    for start in starts:
        k = 0
        for i, part_start in enumerate(nominal_starts):
            if part_start <= start + 0.0005:
                k = i
        offset = start - nominal_starts[k]
        part = parts[k]
        if offset <= 0.0005:
            position = actual_starts[k]
        else:
            position = actual_starts[k] + priming_samples / part.sample_rate + offset
            position = min(position, actual_starts[k] + part.duration_s)
        mapped.append(min(max(0.0, position), total_actual))
    return mapped


def write_m4b(
    dest: Path,
    *,
    aac_parts: Sequence[Path],
    chapters: Sequence[tuple[str, float]],
    total_s: float,
    metadata: dict[str, str],
    cover_jpeg: bytes | None,
    part_durations: Sequence[float] | None = None,
    part_frame_sizes: Sequence[Any] | None = None,
) -> None:
    """Join ADTS AAC ``aac_parts`` (no re-encoding) into the M4B audiobook ``dest``.

    ``chapters`` are ``(title, start_s)`` in order, ``start_s`` a position in the joined
    parts' decoded timeline (see module doc); ``total_s`` is that timeline's length, checked
    against the parts' frame counts (a mismatch is logged: the last mark ends at the real
    end). With ``part_durations`` (PCM seconds of each part) the starts are taken in the
    speech timeline instead and moved onto the file's. ``part_frame_sizes`` (optional, per
    part) are the raw frame sizes remembered when a part was encoded: they spare reading
    every frame header again.
    ``metadata`` keys: "title", "album" (default: title), "artist", "date" or "year",
    "genre" (default "Audiobook"), "comment": iTunes tags, with ``cover_jpeg`` as the cover
    and media kind "Audiobook".
    Written to a temporary file beside ``dest`` and then moved over it. PackError for
    unreadable or non-ADTS parts and unwritable folders.
    """
    if not aac_parts:
        raise PackError(f"cannot write {dest}: no audio parts")
    if not dest.parent.is_dir():
        raise PackError(f"cannot write {dest}: folder {dest.parent} does not exist")

    # Two passes, so that only one part is in memory at a time: the frame sizes and format
    # of every part first (for the moov), then the frames themselves, streamed.
    known_sizes = part_frame_sizes or [None] * len(aac_parts)
    surveyed = [_survey(part, sizes) for part, sizes in zip(aac_parts, known_sizes, strict=True)]
    first = surveyed[0][1]
    for part, (_, stream) in zip(aac_parts, surveyed, strict=True):
        if (stream.sample_rate, stream.channels) != (first.sample_rate, first.channels):
            raise PackError(
                f"{part}: {stream.sample_rate} Hz/{stream.channels} ch differs from "
                f"{aac_parts[0]} ({first.sample_rate} Hz/{first.channels} ch)"
            )
    infos = [AdtsInfo(len(sizes), first.sample_rate, first.channels) for sizes, _ in surveyed]
    track = AacTrack(
        np.concatenate([sizes for sizes, _ in surveyed]),
        first.sample_rate,
        first.channels,
        first.object_type,
    )

    def raw_parts() -> Iterator[bytes]:
        for part, (sizes, _) in zip(aac_parts, surveyed, strict=True):
            try:
                data = part.read_bytes()
            except OSError as e:
                raise PackError(f"cannot join the AAC parts for {dest}: {e}") from e
            yield adts_with_sizes(data, sizes, str(part)).raw

    total_actual = sum(info.duration_s for info in infos)
    expected = total_actual if part_durations is None else sum(part_durations)
    if abs(expected - total_s) > 0.05:
        log.warning("M4B: total_s is %.3f s but the parts add up to %.3f s", total_s, expected)
    log.debug("M4B: %d parts, %.3f s decoded", len(infos), total_actual)

    starts_s = [s for _, s in chapters]
    if part_durations is not None:
        starts_s = map_chapter_starts(starts_s, infos, part_durations)
    total_ms = round(total_actual * 1000)
    starts_ms = [min(max(0, round(s * 1000)), total_ms) for s in starts_s]
    marks: list[tuple[str, int, int]] = []
    for i, ((title, _), start) in enumerate(zip(chapters, starts_ms, strict=True)):
        end = starts_ms[i + 1] if i + 1 < len(starts_ms) else total_ms
        marks.append((fit_title(title), start, max(start, end)))

    meta = {k: clean_text(v, multiline=True) for k, v in metadata.items() if v}
    title = meta.get("title", "")
    tags = BookTags(
        title=title,
        album=meta.get("album") or title,
        artist=meta.get("artist", ""),
        year=meta.get("date") or meta.get("year"),
        cover_jpeg=cover_jpeg,
        genre=meta.get("genre") or "Audiobook",
        comment=meta.get("comment", ""),
    )
    try:
        with atomic_path(dest) as out_file:
            # Room for the text tags and the cover, so tagging does not move the audio.
            tag_space = 8192 + len(cover_jpeg or b"") + sum(len(v.encode()) for v in meta.values())
            write_m4b_file(out_file, track, raw_parts(), marks, tag_space)
            tag_m4b_in_place(out_file, tags)
            written = read_m4b_chapters(out_file)
            if [t for t, _ in written] != [t for t, _, _ in marks]:
                raise ToolError(f"the chapter marks of {dest} do not read back as written")
    except OSError as e:
        raise PackError(f"cannot write {dest}: {e.strerror or e}") from e
    log.info("wrote %s (%d chapters, %.1f min)", dest, len(marks), total_actual / 60)


def read_m4b_chapters(path: Path) -> list[tuple[str, float]]:
    """The chapter marks ``(title, start_s)`` of an M4B/MP4 (its Nero "chpl" list), no ffprobe."""
    import mutagen.mp4
    from mutagen import MutagenError

    mp4_module: Any = mutagen.mp4
    try:
        chapters = mp4_module.MP4(path).chapters
    except (MutagenError, OSError) as e:
        raise PackError(f"cannot read the chapters of {path}: {e}") from e
    if chapters is None:
        return []
    return [(chapter.title, float(chapter.start)) for chapter in chapters]
