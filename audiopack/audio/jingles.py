"""The user's own audio: ``--intro`` before the opening, ``--outro`` after the last chapter,
``--chime`` at the start of every chapter after the first.

Each file is decoded in-process by PyAV (FFmpeg's libraries: the formats pydub reads through
the ffmpeg program, without needing that program) into a pydub ``AudioSegment``, mono at the
pack's rate; pydub trims its leading and trailing silence and fades it in and out; it is
brought to the speech's loudness (loudness.normalise_loudness, the BS.1770 measure the speech
pieces use, which pydub has not) and laid on the frame grid, so that the MP3 and AAC timelines
stay sample-exact. It is then encoded once like a speech piece and cached under the hash of
the file's bytes and these settings: an unchanged jingle is never decoded again.

In the plan a jingle is a piece of kind "jingle": the intro and the outro are chapters of their
own (kind "jingle" in index.json, with their own chapter file), a chime is the first piece of
its chapter, so jumping to a chapter plays its chime, and every later time in the chapter (and
every chapter mark) counts it. Jingles have no sentences: index.json shows each as an item of
kind "jingle" with the times of its sound.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from audiopack.audio import codec as audio_codec
from audiopack.audio import layout as audio
from audiopack.audio import loudness
from audiopack.audio.pieces import piece_ready, store_piece
from audiopack.cache import Store, content_key
from audiopack.config import BuildConfig
from audiopack.errors import ConfigError
from audiopack.model import Chapter
from audiopack.planning import BuildPlan, ChapterPlan, PiecePlan

if TYPE_CHECKING:
    from pydub import AudioSegment

log = logging.getLogger(__name__)

#: Bump when the processing below changes what a jingle sounds like.
JINGLE_VERSION = 1
FADE_IN_MS = 10
#: The fade-out is at most this long, and at most a quarter of the sound.
FADE_OUT_MS = 300
#: A file whose peak is below this is refused as silent.
SILENT_PEAK_DBFS = -60.0
#: Quieter than this below the file's peak counts as silence when trimming.
SILENCE_BELOW_PEAK_DB = 45.0
#: What each jingle is called in the index, the chapter marks and the file names.
TITLES = {"intro": "片头", "outro": "片尾", "chime": "提示音"}


def _paths(config: BuildConfig) -> dict[str, Path]:
    found = {"intro": config.intro, "outro": config.outro, "chime": config.chime}
    return {role: path for role, path in found.items() if path is not None}


def _file_digest(role: str, path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as e:
        raise ConfigError(f"cannot read --{role} {path}: {e.strerror or e}") from e


def jingle_pieces(
    config: BuildConfig, codecs: Sequence[audio_codec.Codec], rate: int
) -> dict[str, PiecePlan]:
    """The jingles ``config`` asks for, by role, as pieces named by content: the file's bytes
    and every setting that changes the encoded audio."""
    result = {}
    for role, path in _paths(config).items():
        key = content_key({
            "jingle": JINGLE_VERSION, "sha256": _file_digest(role, path), "rate": rate,
            "fade": [FADE_IN_MS, FADE_OUT_MS], "silence": SILENCE_BELOW_PEAK_DB,
            "lufs": loudness.TARGET_LUFS + loudness.ENCODING_LOSS_LU,
            "codecs": [c.tag for c in codecs],
        })  # fmt: skip
        result[role] = PiecePlan(key, "jingle", None, (), (), 0, 0, 0, TITLES[role])
    return result


def with_jingles(plan: BuildPlan, jingles: Mapping[str, PiecePlan]) -> BuildPlan:
    """``plan`` with the intro and outro as chapters of their own and the chime before every
    chapter after the first."""
    if not jingles:
        return plan
    chapters = list(plan.chapters)
    chime = jingles.get("chime")
    if chime is not None:
        chapters[1:] = [dataclasses.replace(c, pieces=(chime, *c.pieces)) for c in chapters[1:]]
    width = len(chapters[0].stem.split("-", 1)[0]) if chapters else 2
    last = len(chapters) + 1
    for role, number in (("intro", 0), ("outro", last)):
        piece = jingles.get(role)
        if piece is None:
            continue
        title = TITLES[role]
        chapter = ChapterPlan(
            number, Chapter("jingle", title, ()), f"{number:0{width}d}-{title}", (piece,)
        )
        if role == "intro":
            chapters.insert(0, chapter)
        else:
            chapters.append(chapter)
    return dataclasses.replace(plan, chapters=tuple(chapters))


def prepare(
    config: BuildConfig,
    jingles: Mapping[str, PiecePlan],
    pieces: Store,
    codecs: Sequence[audio_codec.Codec],
    rate: int,
) -> None:
    """Decode, process, encode and cache every jingle not cached yet. Runs before any
    synthesis: a file that is not audio stops the build with a one-line ConfigError."""
    paths = _paths(config)
    done: set[str] = set()
    for role, piece in jingles.items():
        if piece.key in done or piece_ready(pieces, piece, codecs):
            continue
        sound = process(decode(paths[role], rate, role), role, paths[role])
        samples = np.zeros(audio.aligned_length(len(sound)), dtype="<i2")
        samples[: len(sound)] = sound
        store_piece(pieces, piece.key, samples, {"spans": [], "sound": [0, len(sound)]}, codecs)
        done.add(piece.key)
        log.info("prepared --%s %s (%.2f s)", role, paths[role], len(sound) / rate)


def _pydub() -> Any:
    """pydub's AudioSegment; imported quietly: without the ffmpeg program pydub warns at import
    that it cannot find it (it is not needed here), and Python 3.11+ warns about audioop."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment

    return AudioSegment


def decode(path: Path, rate: int, role: str = "audio") -> AudioSegment:
    """Any audio file FFmpeg's libraries read, as a mono 16-bit ``AudioSegment`` at ``rate``.

    Resampled by libswresample while decoding (pydub's own ``set_frame_rate`` has no
    anti-aliasing filter). ConfigError, one line, for a file that holds no decodable audio.
    """
    import av

    try:
        data = audio_codec.decode_to_pcm(str(path), rate)
    except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise ConfigError(
            f"cannot use --{role} {path}: not an audio file that can be decoded ({reason})"
        ) from e
    if not data:
        raise ConfigError(f"cannot use --{role} {path}: it holds no audio")
    segment: AudioSegment = _pydub()(data=data, sample_width=2, frame_rate=rate, channels=1)
    return segment


def process(
    segment: AudioSegment, role: str = "audio", path: Path | None = None
) -> audio.Int16Array:
    """Trim silence at both ends, fade in and out, bring to the speech's loudness: the
    jingle's int16 samples (not yet on the grid)."""
    from pydub.silence import detect_leading_silence

    peak = segment.max_dBFS
    if peak < SILENT_PEAK_DBFS:  # too quiet to measure its loudness, let alone hear it
        raise ConfigError(f"cannot use --{role} {path}: it is silent")
    threshold = peak - SILENCE_BELOW_PEAK_DB
    lead_ms = detect_leading_silence(segment, silence_threshold=threshold, chunk_size=5)
    tail_ms = detect_leading_silence(segment.reverse(), silence_threshold=threshold, chunk_size=5)
    trimmed = segment[lead_ms : max(lead_ms + 1, len(segment) - tail_ms)]
    faded = trimmed
    fade_in_ms, fade_out_ms = (
        min(FADE_IN_MS, len(trimmed) // 4),
        min(FADE_OUT_MS, len(trimmed) // 4),
    )
    if fade_in_ms:  # pydub cannot fade over 0 ms
        faded = faded.fade_in(fade_in_ms)
    if fade_out_ms:
        faded = faded.fade_out(fade_out_ms)
    samples = np.frombuffer(faded.raw_data, dtype="<i2")
    rate = int(faded.frame_rate)
    # BS.1770 needs 400 ms blocks: a shorter chime is measured repeated, which has its
    # loudness, and cut back.
    repeats = -(-rate // max(1, len(samples))) if len(samples) < rate else 1
    levelled = loudness.normalise_loudness(np.tile(samples, repeats), rate=rate)[: len(samples)]
    return levelled
