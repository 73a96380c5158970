"""Pieces: the audio of (part of) a heading or point, laid out with exact pauses, brought to
the target loudness and encoded once to MP3 and AAC, then cached under the piece's key."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from audiopack.audio import codec as audio_codec
from audiopack.audio import layout as audio
from audiopack.audio import loudness
from audiopack.cache import Store
from audiopack.errors import ToolError
from audiopack.output.mp4 import pack_frame_sizes, parse_adts
from audiopack.planning import PiecePlan
from audiopack.synthesize import Progress, load_segment

log = logging.getLogger(__name__)


def widen_to_gaps(spans: Sequence[tuple[int, int]], frames: int) -> list[tuple[int, int]]:
    """Cut a request's audio between sentences in the middle of each gap, not at the reported
    bounds: a service's timings can be a little short, and trimming silence afterwards finds
    the exact speech, so no syllable is ever cut off."""
    if not spans:
        return []
    cuts = [0]
    for (_, end), (start, _) in itertools.pairwise(spans):
        cuts.append(max(cuts[-1], (end + start) // 2))
    cuts.append(frames)
    return list(itertools.pairwise(cuts))


def build_piece(
    piece: PiecePlan, segments: Store, pieces: Store, codecs: Sequence[audio_codec.Codec], rate: int
) -> None:
    """Lay out, normalise and encode one piece from its cached segments (PCM at ``rate``,
    the rate of the plan and of every codec)."""
    spoken_audio: list[audio.Int16Array] = []
    for segment in piece.segments:
        loaded = load_segment(segments, segment.key)
        if loaded is None:
            raise ToolError(f"cached speech for “{segment.texts[0][:16]}” vanished; build again")
        pcm, spans = loaded
        samples = audio.pcm_array(pcm)
        spoken_audio.extend(samples[a:b] for a, b in widen_to_gaps(spans, len(samples)))
    spoken = iter(spoken_audio)
    sentence_audio = [next(spoken) if s.spoken else None for s in piece.sentences]
    laid = audio.lay_out_piece(
        sentence_audio, piece.lead_frames, piece.gap_frames, piece.tail_frames
    )
    samples = loudness.normalise_loudness(laid.samples, rate=rate)
    meta = {"spans": [list(s) for s in laid.spans]}
    store_piece(pieces, piece.key, samples, meta, codecs)


def store_piece(
    pieces: Store,
    key: str,
    samples: audio.Int16Array,
    meta: dict[str, Any],
    codecs: Sequence[audio_codec.Codec],
) -> None:
    """Encode a piece's PCM (laid on the frame grid: audio.aligned_length) once per codec and
    record it in the cache under ``key`` with ``meta`` and its frame counts."""
    expected = len(samples) + audio.ENCODER_PAD
    outputs = [(codec, pieces.blob_path(key, codec.suffix)) for codec in codecs]
    audio_codec.encode_pcm(samples, outputs)
    meta = {**meta, "frames": len(samples), "decoded_frames": expected}
    for codec, path in outputs:
        data = path.read_bytes()
        if codec.suffix == "mp3":
            decoded = audio_codec.mp3_frame_count(data) * 576
        else:
            # Remembered so that writing the book need not read every frame header again.
            frame_sizes = parse_adts(data, f"piece {key[:12]}").sizes
            meta["aac_sizes"] = pack_frame_sizes(frame_sizes)
            decoded = len(frame_sizes) * 1024
        meta[f"{codec.suffix}_frames"] = decoded
        if decoded != expected:
            log.debug(
                "piece %s: %s decodes to %d frames, expected %d",
                key[:12],
                codec.suffix,
                decoded,
                expected,
            )
    pieces.add_blob_files(key, meta, {codec.suffix: path for codec, path in outputs})


def piece_ready(pieces: Store, piece: PiecePlan, codecs: Sequence[audio_codec.Codec]) -> bool:
    return pieces.has(piece.key, [c.suffix for c in codecs])


# --- timeline -----------------------------------------------------------------------------


class PieceEncoder:
    """Encodes pieces on two worker threads as soon as every segment they need is cached, so
    encoding overlaps synthesis and both cores stay busy."""

    def __init__(
        self,
        segments: Store,
        pieces: Store,
        codecs: Sequence[audio_codec.Codec],
        rate: int,
    ) -> None:
        self.segments, self.pieces, self.codecs, self.rate = segments, pieces, codecs, rate
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="encode")
        self.futures: list[Future[None]] = []
        self.remaining: dict[str, int] = {}
        self.by_segment: dict[str, list[PiecePlan]] = {}
        self.total = 0

    def add(self, piece: PiecePlan, waiting_for: Collection[str]) -> None:
        """Encode ``piece`` once the segments ``waiting_for`` (keys) are reported stored."""
        self.total += 1
        needed = set(waiting_for)
        self.remaining[piece.key] = len(needed)
        for key in needed:
            self.by_segment.setdefault(key, []).append(piece)
        if not needed:
            self._submit(piece)

    def _submit(self, piece: PiecePlan) -> None:
        self.futures.append(self.pool.submit(self._build, piece))

    def _build(self, piece: PiecePlan) -> None:
        build_piece(piece, self.segments, self.pieces, self.codecs, self.rate)

    def segment_stored(self, key: str) -> None:
        for piece in self.by_segment.pop(key, []):
            self.remaining[piece.key] -= 1
            if self.remaining[piece.key] == 0:
                self._submit(piece)

    def finish(self, progress: Progress) -> None:
        """Wait for every piece; on any error or Ctrl-C drop the queued ones and re-raise.
        Finished pieces stay cached for the rerun."""
        try:
            done = sum(f.done() for f in self.futures)
            left = self.total - done
            if left:
                progress.start("encoding", left)
            for future in self.futures:
                was_done = future.done()
                future.result()
                if not was_done:
                    progress.advance()
            progress.finish()
        except BaseException:
            self.abort()
            raise
        self.pool.shutdown()

    def abort(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
