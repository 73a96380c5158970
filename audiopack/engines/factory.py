"""Choosing and opening the engine a build uses (``auto`` falls back to the offline engine)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from audiopack.config import BuildConfig
from audiopack.engines import Engine
from audiopack.errors import EngineUnavailableError

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class EngineChoice:
    engine: Engine
    #: Set when ``auto`` fell back to the offline engine: why the service was not used.
    fallback_reason: str | None = None


async def open_engine(config: BuildConfig) -> EngineChoice:
    if config.engine == "espeak":
        return EngineChoice(_espeak(config))
    from audiopack.engines import edge

    if config.engine == "edge":
        return EngineChoice(await _edge(config))
    reason = await edge.probe(timeout_s=PROBE_TIMEOUT_S, proxy=config.proxy)
    if reason is None:
        return EngineChoice(await _edge(config))
    log.warning("Edge voices unreachable (%s); using the offline engine", reason)
    return EngineChoice(_espeak(config), fallback_reason=reason)


def _espeak(config: BuildConfig) -> Engine:
    from audiopack.engines.espeak import EspeakEngine

    return EspeakEngine(rate=config.rate, volume=config.volume, pitch=config.pitch)


async def _edge(config: BuildConfig) -> Engine:
    from audiopack.engines import edge

    voices, _from_service = await edge.list_voices(proxy=config.proxy)
    edge.check_voice(config.voice, voices)
    try:
        return edge.EdgeEngine(
            voice=config.voice, rate=config.rate, volume=config.volume, pitch=config.pitch,
            proxy=config.proxy, jobs=config.jobs,
        )  # fmt: skip
    except ImportError as e:  # pragma: no cover - edge-tts is a dependency
        raise EngineUnavailableError("the edge engine needs edge-tts: pip install edge-tts") from e
