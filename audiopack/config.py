"""BuildConfig: every setting of a build, validated at construction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from audiopack.engines.voices import DEFAULT_EDGE_VOICE
from audiopack.errors import ConfigError

ENGINES = ("auto", "espeak", "edge", "kokoro")
#: What ``--formats`` can list: chapter MP3s, the M4B book, the book as one MP3.
FORMATS = ("mp3", "m4b", "book-mp3")
FORMAT_ALIASES = {"both": ("mp3", "m4b")}
#: The Edge voice used when none is given (the kokoro engine has its own default).
DEFAULT_VOICE = DEFAULT_EDGE_VOICE

_RATE_RE = re.compile(r"[+-]\d{1,3}%")
_PITCH_RE = re.compile(r"[+-]\d{1,3}Hz")


def validate_prosody(rate: str, volume: str, pitch: str) -> None:
    """Check edge-tts style prosody ("+10%", "-5%", "+0Hz"); ConfigError quotes a bad value."""
    for option, value, pattern, example in (
        ("--rate", rate, _RATE_RE, "+10%"),
        ("--volume", volume, _RATE_RE, "-5%"),
        ("--pitch", pitch, _PITCH_RE, "+0Hz"),
    ):
        if not pattern.fullmatch(value):
            raise ConfigError(f"invalid {option} {value!r}: use a signed value such as {example}")
    if not -100 <= int(rate[:-1]) <= 200:
        raise ConfigError(f"invalid --rate {rate!r}: must be between -100% and +200%")
    if not -100 <= int(volume[:-1]) <= 100:
        raise ConfigError(f"invalid --volume {volume!r}: must be between -100% and +100%")


def parse_formats(value: str) -> frozenset[str]:
    """``"mp3,book-mp3"`` -> its formats; ConfigError quotes an unknown or empty entry."""
    found: list[str] = []
    for item in value.split(","):
        name = item.strip().lower()
        if name in FORMAT_ALIASES:
            found += FORMAT_ALIASES[name]
        elif name in FORMATS:
            found.append(name)
        else:
            raise ConfigError(
                f"invalid --formats {value!r}: {name!r} is not one of {', '.join(FORMATS)} "
                "(list them separated by commas; both = mp3,m4b)"
            )
    return frozenset(found)


@dataclass(frozen=True)
class BuildConfig:
    manuscript: Path
    output_dir: Path | None = None
    title: str | None = None
    engine: str = "auto"
    #: None: the engine's own default voice (DEFAULT_VOICE for edge, DEFAULT_KOKORO_VOICE).
    voice: str | None = None
    rate: str = "+0%"
    volume: str = "+0%"
    pitch: str = "+0Hz"
    proxy: str | None = None
    jobs: int = 4
    pause_sentence_s: float = 0.4
    pause_point_s: float = 0.8
    pause_heading_s: float = 1.0
    placeholder: str = "某"
    lexicon: Path | None = None
    formats: str = "both"
    cache_dir: Path | None = None
    cover: Path | None = None
    lrc_encoding: str = "utf-8"
    artist: str = "audiopack"
    mp3_bitrate_k: int = 64
    #: The M4B's AAC quality (FFmpeg's ``-q:a`` scale): about 55 to 60 kbps for speech.
    aac_quality: float = 0.9
    #: --split: "auto", "off" or minutes of estimated speech above which a chapter is divided.
    split: str = "auto"
    #: --read-boilerplate: speak the 版头, 附注 and 版记 of an official document too.
    read_boilerplate: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    #: The user's own audio: before the opening, after the last chapter, before chapters 2..n.
    intro: Path | None = None
    outro: Path | None = None
    chime: Path | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r}: choose one of {', '.join(ENGINES)}")
        parse_formats(self.formats)
        validate_prosody(self.rate, self.volume, self.pitch)
        if self.engine == "kokoro" and self.voice is not None:
            from audiopack.engines.voices import KOKORO_VOICES, check_voice

            check_voice(self.voice, KOKORO_VOICES)
        if not 1 <= self.jobs <= 32:
            raise ConfigError(f"invalid --jobs {self.jobs}: use 1 to 32")
        for name, value in (
            ("--pause-sentence", self.pause_sentence_s),
            ("--pause-point", self.pause_point_s),
            ("--pause-heading", self.pause_heading_s),
        ):
            if not 0.0 <= value <= 10.0:
                raise ConfigError(f"invalid {name} {value}: use 0 to 10 seconds")
        if self.proxy is not None and not re.fullmatch(r"https?://\S+", self.proxy):
            raise ConfigError(f"invalid --proxy {self.proxy!r}: use a URL such as http://host:8080")
        for name, path in (("--intro", self.intro), ("--outro", self.outro),
                           ("--chime", self.chime)):  # fmt: skip
            if path is not None and not path.is_file():
                raise ConfigError(f"cannot read {name} {path}: no such file")
        from audiopack.text.structure.split import split_minutes

        split_minutes(self.split)  # raises ConfigError for a bad value
        if self.lrc_encoding.lower().replace("-", "") not in ("utf8", "gb18030"):
            raise ConfigError(f"invalid --lrc-encoding {self.lrc_encoding!r}: use utf-8 or gb18030")

    @property
    def format_set(self) -> frozenset[str]:
        """The formats asked for, aliases resolved: a subset of FORMATS."""
        return parse_formats(self.formats)

    @property
    def pack_dir(self) -> Path:
        if self.output_dir is not None:
            return self.output_dir
        return Path("output") / self.manuscript.stem
