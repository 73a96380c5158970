"""The Edge speech service around the engine: its endpoint (``AUDIOPACK_EDGE_URL`` and
``AUDIOPACK_EDGE_VOICES_URL`` point edge-tts elsewhere, e.g. at the tests' fake service), what
counts as a failed attempt worth retrying, the reachability probe and the voice list."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
from collections.abc import Iterator
from types import ModuleType
from urllib.parse import urlsplit

import aiohttp

from audiopack.engines import EDGE_URL_ENV
from audiopack.engines.voices import BUILTIN_ZH_VOICES, DEFAULT_EDGE_VOICE, VoiceInfo
from audiopack.errors import ConfigError, EngineUnavailableError

try:
    import edge_tts
    from edge_tts import communicate as _communicate
    from edge_tts import constants as _constants
    from edge_tts import voices as _voices
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

log = logging.getLogger(__name__)

ENV_URL = EDGE_URL_ENV
ENV_VOICES_URL = "AUDIOPACK_EDGE_VOICES_URL"

_DEFAULT_WSS_URL: str = _constants.WSS_URL
_DEFAULT_VOICE_LIST: str = _constants.VOICE_LIST
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


def service_host() -> str:
    url = str(getattr(_communicate, "WSS_URL", ""))
    return urlsplit(url).hostname or "the speech service"


# --------------------------------------------------------------------------------------------
# Failures


class AttemptFailed(Exception):
    """A failure detected by us rather than by edge-tts (truncated stream, bad audio)."""


#: Everything one attempt may raise that is worth another attempt.
RETRYABLE: tuple[type[BaseException], ...] = (
    EdgeTTSException,
    aiohttp.ClientError,
    TimeoutError,
    OSError,
    AttemptFailed,
)
#: What malformed wire data raises while it is parsed (bad header lines or JSON, missing keys,
#: values of the wrong type). Caught only around the parsing, and turned into AttemptFailed,
#: so that the same exceptions raised by a bug of ours are not retried.
_MALFORMED = (ValueError, LookupError, TypeError)


@contextlib.contextmanager
def parsing_wire_data() -> Iterator[None]:
    try:
        yield
    except _MALFORMED as e:
        raise AttemptFailed(f"malformed response ({type(e).__name__}: {e})") from e


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
    if isinstance(error, AttemptFailed):
        return str(error)
    if isinstance(error, OSError):
        return f"network error ({error.strerror or error})"
    return f"malformed response ({type(error).__name__}: {error})"


def backoff_s(base_s: float, attempt: int) -> float:
    """Delay before retry number ``attempt + 1``: exponential, jittered, capped."""
    return float(min(_BACKOFF_CAP_S, base_s * 2**attempt * random.uniform(0.5, 1.5)))


# --------------------------------------------------------------------------------------------
# Probe and voices


async def probe(timeout_s: float = 3.0, proxy: str | None = None) -> str | None:
    """None when the service answers with audio within ``timeout_s``, else a short reason."""
    apply_endpoint_override()
    host = service_host()
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
            with parsing_wire_data():
                async with contextlib.aclosing(communicate.stream()) as stream:
                    async for chunk in stream:
                        if chunk["type"] == "audio":
                            return None
    except RETRYABLE as e:
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
        with parsing_wire_data():
            voices = [_voice_info(entry) for entry in entries]
        if not voices:
            raise AttemptFailed("empty voice list")
    except RETRYABLE as e:
        log.warning(
            "edge: cannot fetch the voice list (%s); using the built-in list", describe_failure(e)
        )
        voices, live = list(BUILTIN_ZH_VOICES), False
    else:
        live = True
    if locale_prefix:
        voices = [v for v in voices if v.locale.startswith(locale_prefix)]
    return voices, live
