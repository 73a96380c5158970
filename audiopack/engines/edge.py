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
import os
import random
from collections.abc import Iterator, Sequence
from types import ModuleType
from urllib.parse import urlsplit

import aiohttp

from audiopack.audio_codec import decode_mp3
from audiopack.engines import EDGE_URL_ENV
from audiopack.engines.edge_alignment import (
    Boundary,
    align_sentences,
    proportional_timings,
    speakable_key,
    ticks_to_frames,
)
from audiopack.engines.voices import BUILTIN_ZH_VOICES, VoiceInfo, check_voice
from audiopack.errors import ConfigError, EngineUnavailableError, SynthesisError, ToolError
from audiopack.model import SAMPLE_RATE, Clip, SentenceTiming

try:
    import edge_tts
    from edge_tts import communicate as _communicate
    from edge_tts import constants as _constants
    from edge_tts import voices as _voices
    from edge_tts.data_classes import TTSConfig
    from edge_tts.exceptions import (
        EdgeTTSException,
        NoAudioReceived,
        SkewAdjustmentError,
        UnexpectedResponse,
        UnknownResponse,
        WebSocketError,
    )
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

ENV_URL = EDGE_URL_ENV
ENV_VOICES_URL = "AUDIOPACK_EDGE_VOICES_URL"
DEFAULT_EDGE_VOICE = "zh-CN-YunyangNeural"

_DEFAULT_WSS_URL: str = _constants.WSS_URL
_DEFAULT_VOICE_LIST: str = _constants.VOICE_LIST
_TICKS_PER_SECOND = 10_000_000
#: Decoded MP3 lags the PCM it was encoded from by the encoder's delay (576 samples for LAME)
#: plus the decoder's (529): ffmpeg trims neither without a LAME header, and the stream has
#: none. Boundary offsets count from the unencoded PCM, so they are moved by this much.
MP3_DELAY_FRAMES = 576 + 529
_BACKOFF_CAP_S = 8.0


# --------------------------------------------------------------------------------------------
# Endpoint override


def _with_query(url: str) -> str:
    # edge-tts appends "&ConnectionId=…&Sec-MS-GEC=…" (or "&Sec-MS-GEC=…") to the URL.
    return url if "?" in url else url + "?"


def apply_endpoint_override() -> None:
    """Point edge-tts at ``AUDIOPACK_EDGE_URL`` / ``AUDIOPACK_EDGE_VOICES_URL`` when set.

    edge-tts imports ``WSS_URL`` and ``VOICE_LIST`` by name into its ``communicate`` and
    ``voices`` modules, so those names are patched; an unset variable restores the default.
    """
    url = os.environ.get(ENV_URL, "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.netloc:
            raise ConfigError(f"invalid {ENV_URL} {url!r}: use a ws:// or wss:// URL")
        url = _with_query(url)
    else:
        url = _DEFAULT_WSS_URL
    _replace_name(_communicate, "WSS_URL", url, "speech")

    voices_url = os.environ.get(ENV_VOICES_URL, "").strip()
    if voices_url:
        parts = urlsplit(voices_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"invalid {ENV_VOICES_URL} {voices_url!r}: use an http:// or https:// URL"
            )
        voices_url = _with_query(voices_url)
    else:
        voices_url = _DEFAULT_VOICE_LIST
    _replace_name(_voices, "VOICE_LIST", voices_url, "voice list")


def _replace_name(module: ModuleType, name: str, value: str, what: str) -> None:
    # edge-tts does not re-export these names, hence getattr/setattr.
    if getattr(module, name) != value:
        log.info("edge: %s endpoint %s", what, value)
        setattr(module, name, value)


def _service_host() -> str:
    url = str(getattr(_communicate, "WSS_URL", ""))
    return urlsplit(url).hostname or "the speech service"


# --------------------------------------------------------------------------------------------
# Failures


class _AttemptFailed(Exception):
    """A failure detected by us rather than by edge-tts (truncated stream, bad audio)."""


#: Everything one attempt may raise that is worth another attempt.
_RETRYABLE: tuple[type[BaseException], ...] = (
    EdgeTTSException,
    aiohttp.ClientError,
    TimeoutError,
    OSError,
    _AttemptFailed,
)
#: What malformed wire data raises while it is parsed (bad header lines or JSON, missing keys,
#: values of the wrong type). Caught only around the parsing, and turned into _AttemptFailed,
#: so that the same exceptions raised by a bug of ours are not retried.
_MALFORMED = (ValueError, LookupError, TypeError)


@contextlib.contextmanager
def _parsing_wire_data() -> Iterator[None]:
    try:
        yield
    except _MALFORMED as e:
        raise _AttemptFailed(f"malformed response ({type(e).__name__}: {e})") from e


def describe_failure(error: BaseException) -> str:
    """A short, user-facing name for why one request failed."""
    if isinstance(error, aiohttp.WSServerHandshakeError):
        return f"handshake rejected (HTTP {error.status})"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return "DNS lookup failed"
    if isinstance(error, aiohttp.ClientConnectorError):
        reason = error.os_error.strerror or str(error.os_error) or "no route"
        return f"connection failed ({reason.lower()})"
    if isinstance(error, aiohttp.ClientResponseError):
        return f"HTTP {error.status}"
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return "connection lost"
    if isinstance(error, aiohttp.ClientError):
        return f"connection error ({type(error).__name__})"
    if isinstance(error, NoAudioReceived):
        return "no audio received"
    if isinstance(error, WebSocketError):
        return f"websocket error ({error})"
    if isinstance(error, UnexpectedResponse | UnknownResponse):
        return f"unexpected response ({error})"
    if isinstance(error, SkewAdjustmentError):
        return "handshake rejected (clock skew)"
    if isinstance(error, EdgeTTSException):
        return f"edge-tts error ({error})"
    if isinstance(error, _AttemptFailed):
        return str(error)
    if isinstance(error, OSError):
        return f"network error ({error.strerror or error})"
    return f"malformed response ({type(error).__name__}: {error})"


def _backoff_s(base_s: float, attempt: int) -> float:
    """Delay before retry number ``attempt + 1``: exponential, jittered, capped."""
    return float(min(_BACKOFF_CAP_S, base_s * 2**attempt * random.uniform(0.5, 1.5)))


# --------------------------------------------------------------------------------------------
# The engine


def _decode(mp3: bytes) -> bytes:
    try:
        pcm = decode_mp3(mp3)
    except ToolError as e:
        raise _AttemptFailed(f"undecodable audio ({e})") from e
    if len(pcm) < 2:
        raise _AttemptFailed("undecodable audio (no samples)")
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

    async def synthesize(self, sentences: Sequence[str]) -> Clip:
        sentences = list(sentences)
        if self._closed:
            raise SynthesisError("the edge engine is closed")
        text = "".join(sentences)
        if not speakable_key(text):
            return Clip(b"", tuple(SentenceTiming(s, 0, 0) for s in sentences))
        excerpt = text[:20] + ("…" if len(text) > 20 else "")
        last: BaseException | None = None
        for attempt in range(self.retries):
            if attempt:
                delay = _backoff_s(self.backoff_base_s, attempt - 1)
                log.info(
                    "edge: attempt %d/%d for %r failed (%s); retrying in %.2f s",
                    attempt, self.retries, excerpt, describe_failure(last or Exception()), delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
            try:
                pcm, boundaries = await self._attempt(text)
            except _RETRYABLE as e:
                log.debug("edge: attempt %d failed", attempt + 1, exc_info=True)
                last = e
                continue
            return self._clip(sentences, pcm, boundaries)
        assert last is not None
        raise SynthesisError(
            f"edge engine failed after {self.retries} attempt(s): "
            f"{describe_failure(last)} on {excerpt!r}"
        ) from last

    async def _attempt(self, text: str) -> tuple[bytes, list[Boundary]]:
        """One request: audio and sentence boundaries, or an exception from _RETRYABLE."""
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
            with _parsing_wire_data():
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
            raise _AttemptFailed("connection closed before the end of the audio")
        pcm = await asyncio.to_thread(_decode, bytes(audio))
        return pcm, boundaries

    def _clip(self, sentences: list[str], pcm: bytes, boundaries: list[Boundary]) -> Clip:
        frames = len(pcm) // 2
        timings = align_sentences(sentences, boundaries, frames, pcm)
        if timings is None:
            log.warning(
                "edge: no usable sentence boundaries for %r (%d received); "
                "placing %d sentence(s) by length",
                "".join(sentences)[:20], len(boundaries), len(sentences),
            )  # fmt: skip
            timings = proportional_timings(sentences, frames)
        return Clip(pcm, timings)

    async def aclose(self) -> None:
        """Nothing is held between requests; later calls to synthesize fail."""
        self._closed = True


# --------------------------------------------------------------------------------------------
# Probe and voices


async def probe(timeout_s: float = 3.0, proxy: str | None = None) -> str | None:
    """None when the service answers with audio within ``timeout_s``, else a short reason."""
    apply_endpoint_override()
    host = _service_host()
    communicate = edge_tts.Communicate(
        "测试",
        DEFAULT_EDGE_VOICE,
        boundary="SentenceBoundary",
        proxy=proxy,
        connect_timeout=max(1, math.ceil(timeout_s)),
        receive_timeout=max(1, math.ceil(timeout_s)),
    )
    try:
        async with asyncio.timeout(timeout_s):
            with _parsing_wire_data():
                async with contextlib.aclosing(communicate.stream()) as stream:
                    async for chunk in stream:
                        if chunk["type"] == "audio":
                            return None
    except _RETRYABLE as e:
        reason = describe_failure(e)
        if isinstance(e, TimeoutError):
            reason = f"no answer within {timeout_s:g} s"
        log.debug("edge: probe failed", exc_info=True)
        return f"cannot reach {host}: {reason}"
    return f"cannot reach {host}: no audio received"


def _voice_info(entry: object) -> VoiceInfo:
    if not isinstance(entry, dict):
        raise TypeError("voice entry is not an object")
    tag = entry.get("VoiceTag") or {}
    categories = ", ".join(str(c) for c in tag.get("ContentCategories") or [])
    personalities = ", ".join(str(p) for p in tag.get("VoicePersonalities") or [])
    description = "; ".join(part for part in (categories, personalities) if part)
    return VoiceInfo(
        short_name=str(entry["ShortName"]),
        gender=str(entry.get("Gender", "")),
        locale=str(entry.get("Locale", "")),
        description=description,
    )


async def list_voices(
    proxy: str | None = None, timeout_s: float = 5.0, locale_prefix: str | None = None
) -> tuple[list[VoiceInfo], bool]:
    """The service's voices (True), or the built-in zh-CN list (False) when it cannot be had.

    ``locale_prefix`` (e.g. "zh-") keeps only the voices whose locale starts with it.
    """
    apply_endpoint_override()
    try:
        async with asyncio.timeout(timeout_s):
            entries = await edge_tts.list_voices(proxy=proxy)
        with _parsing_wire_data():
            voices = [_voice_info(entry) for entry in entries]
        if not voices:
            raise _AttemptFailed("empty voice list")
    except _RETRYABLE as e:
        log.warning(
            "edge: cannot fetch the voice list (%s); using the built-in list", describe_failure(e)
        )
        voices, live = list(BUILTIN_ZH_VOICES), False
    else:
        live = True
    if locale_prefix:
        voices = [v for v in voices if v.locale.startswith(locale_prefix)]
    return voices, live
