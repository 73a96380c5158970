"""Choosing and opening the engine a build uses.

``auto`` takes the Edge voices when their service answers, else Kokoro (offline, neural), else
eSpeak NG; a Kokoro voice name given to ``auto`` means Kokoro.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from audiopack.config import DEFAULT_VOICE, BuildConfig
from audiopack.engines import EDGE_URL_ENV, Engine
from audiopack.engines.voices import DEFAULT_KOKORO_VOICE, KOKORO_VOICES
from audiopack.errors import EngineUnavailableError

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3.0
#: Where edge-tts connects unless AUDIOPACK_EDGE_URL says otherwise (see engines.edge).
SERVICE_HOST, SERVICE_PORT = "speech.platform.bing.com", 443


@dataclass(frozen=True)
class EngineChoice:
    engine: Engine
    #: Set when ``auto`` fell back to an offline engine: why the service was not used.
    fallback_reason: str | None = None


async def open_engine(config: BuildConfig) -> EngineChoice:
    if config.engine == "espeak":
        return EngineChoice(_espeak(config))
    if config.engine == "edge":
        return EngineChoice(await _edge(config))
    if config.engine == "kokoro" or is_kokoro_voice(config.voice):
        return EngineChoice(_kokoro(config))
    reason = await unreachable(config.proxy, PROBE_TIMEOUT_S)
    if reason is None:
        from audiopack.engines import edge

        reason = await edge.probe(timeout_s=PROBE_TIMEOUT_S, proxy=config.proxy)
    if reason is None:
        return EngineChoice(await _edge(config))
    try:
        engine = _kokoro(config)
    except EngineUnavailableError as e:
        log.warning("Edge voices unreachable (%s) and Kokoro cannot load (%s); using eSpeak NG",
                    reason, e)  # fmt: skip
        return EngineChoice(_espeak(config), fallback_reason=f"{reason}; {e}")
    log.warning("Edge voices unreachable (%s); using Kokoro (offline)", reason)
    return EngineChoice(engine, fallback_reason=reason)


def is_kokoro_voice(voice: str | None) -> bool:
    return voice in {info.short_name for info in KOKORO_VOICES}


def _kokoro(config: BuildConfig) -> Engine:
    from audiopack.engines.kokoro import KokoroEngine

    if config.pitch != "+0Hz":
        log.warning("the kokoro engine has no pitch setting: --pitch %s is ignored", config.pitch)
    voice = config.voice if is_kokoro_voice(config.voice) else DEFAULT_KOKORO_VOICE
    return KokoroEngine(voice=voice or DEFAULT_KOKORO_VOICE, rate=config.rate)


def _espeak(config: BuildConfig) -> Engine:
    from audiopack.engines.espeak import EspeakEngine

    return EspeakEngine(rate=config.rate, volume=config.volume, pitch=config.pitch)


async def _edge(config: BuildConfig) -> Engine:
    from audiopack.engines import edge

    voices, _from_service = await edge.list_voices(proxy=config.proxy)
    voice = config.voice or DEFAULT_VOICE
    edge.check_voice(voice, voices)
    try:
        return edge.EdgeEngine(
            voice=voice, rate=config.rate, volume=config.volume, pitch=config.pitch,
            proxy=config.proxy, jobs=config.jobs,
        )  # fmt: skip
    except ImportError as e:  # pragma: no cover - edge-tts is a dependency
        raise EngineUnavailableError("the edge engine needs edge-tts: pip install edge-tts") from e


async def unreachable(proxy: str | None, timeout_s: float) -> str | None:
    """A reason when the speech service's host cannot even be connected to, else None.

    Offline, this answers in milliseconds without importing the edge engine (aiohttp and
    edge-tts cost a quarter of a second to import, more than a whole no-op rebuild). Through a
    proxy nothing is known until the real probe runs, so None.
    """
    if proxy:
        return None
    url = os.environ.get(EDGE_URL_ENV, "").strip()
    parts = urlsplit(url) if url else None
    if parts is not None and parts.scheme in ("ws", "wss") and parts.hostname:
        try:
            port = parts.port or (443 if parts.scheme == "wss" else 80)
        except ValueError:
            return None  # the real probe reports the malformed URL
        host = parts.hostname
    elif url:
        return None  # the real probe reports the malformed URL
    else:
        host, port = SERVICE_HOST, SERVICE_PORT
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return f"cannot reach {host}: no answer within {timeout_s:g} s"
    except socket.gaierror:
        return f"cannot reach {host}: DNS lookup failed"
    except OSError as e:
        return f"cannot reach {host}: connection failed ({(e.strerror or str(e)).lower()})"
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None
