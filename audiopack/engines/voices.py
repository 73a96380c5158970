"""Voices of the engines: the Edge built-in zh-CN list, Kokoro's vendored voices, the name check.

Kept free of edge-tts and onnxruntime imports so the CLI can validate ``--voice`` and print
the lists cheaply; :func:`audiopack.engines.edge.list_voices` asks the service for the full
Edge list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from audiopack.errors import ConfigError


@dataclass(frozen=True)
class VoiceInfo:
    """One Edge neural voice."""

    #: The name passed to ``--voice``, e.g. "zh-CN-YunyangNeural" (case-sensitive).
    short_name: str
    #: "Female" or "Male".
    gender: str
    #: BCP-47 locale, e.g. "zh-CN" or "zh-CN-liaoning".
    locale: str
    #: Short description: content categories; personalities.
    description: str = ""


BUILTIN_ZH_VOICES: tuple[VoiceInfo, ...] = (
    VoiceInfo("zh-CN-XiaoxiaoNeural", "Female", "zh-CN", "News, Novel; Warm"),
    VoiceInfo("zh-CN-XiaoyiNeural", "Female", "zh-CN", "Cartoon, Novel; Lively"),
    VoiceInfo("zh-CN-YunjianNeural", "Male", "zh-CN", "Sports, Novel; Passion"),
    VoiceInfo("zh-CN-YunxiNeural", "Male", "zh-CN", "Novel; Lively, Sunshine"),
    VoiceInfo("zh-CN-YunxiaNeural", "Male", "zh-CN", "Cartoon, Novel; Cute"),
    VoiceInfo("zh-CN-YunyangNeural", "Male", "zh-CN", "News; Professional, Reliable"),
    VoiceInfo("zh-CN-liaoning-XiaobeiNeural", "Female", "zh-CN-liaoning", "Dialect; Humorous"),
    VoiceInfo("zh-CN-shaanxi-XiaoniNeural", "Female", "zh-CN-shaanxi", "Dialect; Bright"),
)


def check_voice(voice: str, known: Iterable[VoiceInfo]) -> None:
    """Raise ConfigError unless ``voice`` is exactly the ShortName of one of ``known``."""
    if voice not in {info.short_name for info in known}:
        raise ConfigError(f"unknown voice {voice!r}: run 'audiopack voices' to list them")


#: Kokoro-82M's Mandarin voices shipped in ``audiopack/data/kokoro`` (from the npm package
#: kokoro-js 1.2.1, Apache-2.0; see the NOTICE there), with the SHA-256 of each file. zf_xiaoni
#: is left out: it is known to be hard to understand.
KOKORO_VOICE_SHA256 = {
    "zf_xiaobei": "5dde6e1c9c4f12c8b327bc29c0cee361a23b52b952c04636858ba637ec66e640",
    "zf_xiaoxiao": "03adb5d5e3ddd88b047954e974e651cb0a4b524c985057e5d872e962c7be1169",
    "zf_xiaoyi": "bc1555c5c486099196ac254bae5e0bb543c121952a3092f50b7d8724f1bc36b3",
    "zm_yunjian": "de48a00bdbf3649f07162269a2b6e0513604389bfac8a2e6c75cb34b323ad6fa",
    "zm_yunxi": "7243892fb4e560d47014090ddf010f8b8b790f3c6b029ff82b2ac06aa4e27c8b",
    "zm_yunxia": "6b2b8fc15b3df19a368daebe5c581c7fabf433ee5b8a17ffd6b3d723cff8936d",
    "zm_yunyang": "261e2c89470534dbbcb8fd98b8fdc495ec94063d9bb6c8277f7be43cccba3f42",
}
#: Kokoro's voice names say the gender: "zf_" female, "zm_" male.
KOKORO_VOICES: tuple[VoiceInfo, ...] = tuple(
    VoiceInfo(name, "Female" if name.startswith("zf_") else "Male", "zh-CN", "Kokoro-82M, offline")
    for name in KOKORO_VOICE_SHA256
)
#: The Edge voice used unless --voice names another.
DEFAULT_EDGE_VOICE = "zh-CN-YunyangNeural"
#: The Kokoro voice used when none is given: the one the listening check (bench/listen.py,
#: bench/RESULTS.md) found best understood.
DEFAULT_KOKORO_VOICE = "zm_yunxi"


def voice_listing(proxy: str | None = None) -> dict[str, Any]:
    """Both engines' Mandarin voices, JSON-ready: ``{"from_service", "voices" (Edge's),
    "kokoro", "default": {"edge", "kokoro"}}``; ``from_service`` is False when the Edge service
    could not be asked and ``voices`` is the built-in list."""
    import asyncio

    from audiopack.config import DEFAULT_VOICE
    from audiopack.engines.edge import list_voices

    found, from_service = asyncio.run(list_voices(proxy=proxy, locale_prefix="zh-CN"))
    return {
        "from_service": from_service,
        "voices": [asdict(v) for v in found],
        "kokoro": [asdict(v) for v in KOKORO_VOICES],
        "default": {"edge": DEFAULT_VOICE, "kokoro": DEFAULT_KOKORO_VOICE},
    }


def voices_text(listing: dict[str, Any]) -> str:
    """:func:`voice_listing` for the terminal: one line per voice under each engine."""
    lines = [f"kokoro (offline; default {listing['default']['kokoro']}):"]
    lines += [_voice_line(v) for v in listing["kokoro"]]
    where = "online" if listing["from_service"] else "the service is unreachable: built-in list"
    lines.append(f"edge ({where}; default {listing['default']['edge']}):")
    lines += [_voice_line(v) for v in listing["voices"]]
    return "\n".join(lines)


def _voice_line(voice: dict[str, str]) -> str:
    return f"  {voice['short_name']:<34} {voice['gender']:<7} {voice['description']}".rstrip()
