"""The online engine: Microsoft Edge neural voices through edge-tts 7.x.

One request per call: the sentences are joined and sent as one SSML text over edge-tts's
WebSocket client, asking for ``SentenceBoundary`` metadata. The MP3 is decoded to PCM and the
service's sentence boundaries (which may split or merge sentences differently from ours) are
mapped onto our sentences by character position; without usable metadata the sentences are
placed proportionally to their length.

Every failure of an attempt (network, handshake, protocol, timeout, undecodable audio) is
retried with exponential backoff and jitter; a fresh ``edge_tts.Communicate`` is built for
each attempt because its ``stream()`` runs only once.

``AUDIOPACK_EDGE_URL`` (and ``AUDIOPACK_EDGE_VOICES_URL``) point the client at another
endpoint, e.g. the fake service of the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Sequence

from audiopack.audio.codec import decode_mp3
from audiopack.audio.layout import MP3_DELAY
from audiopack.engines.edge_alignment import (
    Boundary,
    align_sentences,
    proportional_timings,
    speakable_key,
    ticks_to_frames,
)
from audiopack.engines.edge_service import (
    ENV_URL,
    ENV_VOICES_URL,
    RETRYABLE,
    AttemptFailed,
    apply_endpoint_override,
    backoff_s,
    describe_failure,
    list_voices,
    parsing_wire_data,
    probe,
)
from audiopack.engines.voices import (
    BUILTIN_ZH_VOICES,
    DEFAULT_EDGE_VOICE,
    VoiceInfo,
    check_voice,
)
from audiopack.errors import ConfigError, EngineUnavailableError, SynthesisError, ToolError
from audiopack.model import SAMPLE_RATE, SegmentAudio, SentenceTiming

try:
    import edge_tts
    from edge_tts.data_classes import TTSConfig
except ImportError as e:  # pragma: no cover - it is a dependency
    raise EngineUnavailableError(
        "the edge engine needs the edge-tts package: pip install 'edge-tts>=7,<8'"
    ) from e

__all__ = [
    "BUILTIN_ZH_VOICES",
    "ENV_URL",
    "ENV_VOICES_URL",
    "Boundary",
    "EdgeEngine",
    "VoiceInfo",
    "align_sentences",
    "apply_endpoint_override",
    "check_voice",
    "list_voices",
    "probe",
    "proportional_timings",
]

log = logging.getLogger(__name__)

#: Decoded MP3 lags the PCM it was encoded from by the encoder's and decoder's delays:
#: ffmpeg trims neither without a LAME header, and the stream has none. Boundary offsets count
#: from the unencoded PCM, so they are moved by this much.
MP3_DELAY_FRAMES = MP3_DELAY


# --------------------------------------------------------------------------------------------
# The engine


def _decode(mp3: bytes) -> bytes:
    try:
        pcm = decode_mp3(mp3)
    except ToolError as e:
        raise AttemptFailed(f"undecodable audio ({e})") from e
    if len(pcm) < 2:
        raise AttemptFailed("undecodable audio (no samples)")
    return pcm


CONNECT_TIMEOUT_S = 10


class EdgeEngine:
    """Microsoft Edge's online neural voices (edge-tts): natural, needs the network."""

    name = "edge"
    sample_rate = SAMPLE_RATE  # the service's 24 kHz MP3, decoded as it is

    def __init__(
        self,
        voice: str = DEFAULT_EDGE_VOICE,
        rate: str = "+0%",
        volume: str = "+0%",
        pitch: str = "+0Hz",
        proxy: str | None = None,
        retries: int = 5,
        request_timeout_s: float = 30.0,
        backoff_base_s: float = 0.5,
        jobs: int = 4,
    ) -> None:
        try:
            TTSConfig(voice, rate, volume, pitch, "SentenceBoundary")
        except (TypeError, ValueError) as e:
            raise ConfigError(f"invalid edge voice settings: {e}") from e
        if retries < 1:
            raise ConfigError(f"invalid retries {retries}: use at least 1")
        if request_timeout_s <= 0:
            raise ConfigError(f"invalid request timeout {request_timeout_s}: must be positive")
        self.voice, self.rate, self.volume, self.pitch = voice, rate, volume, pitch
        self.proxy = proxy
        self.retries = retries
        self.request_timeout_s = request_timeout_s
        self.backoff_base_s = backoff_base_s
        self._closed = False
        self.jobs = max(1, jobs)
        # Limits requests in flight; made in the running loop on first use. Only the network
        # part holds a slot: decoding the answer and backing off before a retry do not.
        self._slots: asyncio.Semaphore | None = None
        apply_endpoint_override()

    @property
    def version(self) -> str:
        return str(edge_tts.__version__)

    def fingerprint(self) -> dict[str, str]:
        return {
            "engine": self.name,
            "version": self.version,
            "voice": self.voice,
            "rate": self.rate,
            "volume": self.volume,
            "pitch": self.pitch,
        }

    async def synthesize(self, sentences: Sequence[str]) -> SegmentAudio:
        sentences = list(sentences)
        if self._closed:
            raise SynthesisError("the edge engine is closed")
        text = "".join(sentences)
        if not speakable_key(text):
            return SegmentAudio(b"", tuple(SentenceTiming(s, 0, 0) for s in sentences))
        excerpt = text[:20] + ("…" if len(text) > 20 else "")
        last: BaseException | None = None
        for attempt in range(self.retries):
            if attempt:
                delay = backoff_s(self.backoff_base_s, attempt - 1)
                log.info(
                    "edge: attempt %d/%d for %r failed (%s); retrying in %.2f s",
                    attempt, self.retries, excerpt, describe_failure(last or Exception()), delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
            try:
                pcm, boundaries = await self._attempt(text)
            except RETRYABLE as e:
                log.debug("edge: attempt %d failed", attempt + 1, exc_info=True)
                last = e
                continue
            return self._segment_audio(sentences, pcm, boundaries)
        assert last is not None
        raise SynthesisError(
            f"edge engine failed after {self.retries} attempt(s): "
            f"{describe_failure(last)} on {excerpt!r}"
        ) from last

    async def _attempt(self, text: str) -> tuple[bytes, list[Boundary]]:
        """One request: audio and sentence boundaries, or an exception from RETRYABLE."""
        timeout = max(1, math.ceil(self.request_timeout_s))
        communicate = edge_tts.Communicate(
            text,
            self.voice,
            rate=self.rate,
            volume=self.volume,
            pitch=self.pitch,
            boundary="SentenceBoundary",
            proxy=self.proxy,
            # An unreachable service should fail fast: every retry waits this long at most.
            connect_timeout=min(timeout, CONNECT_TIMEOUT_S),
            receive_timeout=timeout,
        )
        audio = bytearray()
        boundaries: list[Boundary] = []
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.jobs)
        async with (
            self._slots,
            asyncio.timeout(self.request_timeout_s),
            contextlib.aclosing(communicate.stream()) as stream,
        ):
            with parsing_wire_data():
                async for chunk in stream:
                    if chunk["type"] == "audio":
                        audio += chunk.get("data", b"")
                    elif chunk["type"] == "SentenceBoundary":
                        offset = float(chunk.get("offset", 0.0))
                        duration = float(chunk.get("duration", 0.0))
                        start = ticks_to_frames(offset) + MP3_DELAY_FRAMES
                        end = ticks_to_frames(offset + duration) + MP3_DELAY_FRAMES
                        boundaries.append(Boundary(str(chunk.get("text", "")), start, end))
        # edge-tts ends its loop quietly when the server closes the socket early; only the
        # "turn.end" message moves the bytes of the current chunk to the cumulative count
        # (edge-tts >= 7.2 keeps these counters; without them the check is skipped).
        state = communicate.state
        pending = state.get("chunk_audio_bytes", 0)
        if pending or state.get("cumulative_audio_bytes", len(audio)) != len(audio):
            raise AttemptFailed("connection closed before the end of the audio")
        pcm = await asyncio.to_thread(_decode, bytes(audio))
        return pcm, boundaries

    def _segment_audio(
        self, sentences: list[str], pcm: bytes, boundaries: list[Boundary]
    ) -> SegmentAudio:
        frames = len(pcm) // 2
        timings = align_sentences(sentences, boundaries, frames, pcm)
        if timings is None:
            log.warning(
                "edge: no usable sentence boundaries for %r (%d received); "
                "placing %d sentence(s) by length",
                "".join(sentences)[:20], len(boundaries), len(sentences),
            )  # fmt: skip
            timings = proportional_timings(sentences, frames)
        return SegmentAudio(pcm, timings)

    async def aclose(self) -> None:
        """Nothing is held between requests; later calls to synthesize fail."""
        self._closed = True
