"""Voices of the ``edge`` engine: the built-in zh-CN list and the voice-name check.

Kept free of edge-tts imports so the CLI can validate ``--voice`` and print the built-in list
cheaply; :func:`audiopack.engines.edge.list_voices` asks the service for the full list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
