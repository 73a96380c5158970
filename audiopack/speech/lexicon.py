"""Pronunciation lexicon: ``词=读法`` rules applied on jieba word boundaries.

A rule replaces a whole word with a reading: the same word with a polyphonic character swapped
for a homophone that has only the wanted reading (``还款=环款``), or toned pinyin
(``为核心=wei2 he2 xin1``), which only the reading layer (engines that take pinyin) uses. Rules
only fire on word boundaries, as :mod:`audiopack.speech.segmenter` cuts the text (``银行|行长`` is
rewritten, ``行|长期`` is not).

jieba is loaded only when a text contains a rule word, so start-up stays light.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from audiopack.errors import ConfigError
from audiopack.speech import segmenter


@dataclass(frozen=True)
class Lexicon:
    """Pronunciation rules as ``(word, reading)`` pairs; later pairs for the same word win."""

    rules: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        merged = dict(self.rules)  # later duplicates win, order of first appearance kept
        if len(merged) != len(self.rules):
            object.__setattr__(self, "rules", tuple(merged.items()))

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self.rules)

    @property
    def words(self) -> frozenset[str]:
        """The rule words: what the segmenter keeps whole."""
        return frozenset(word for word, _ in self.rules)

    def fingerprint(self) -> str:
        """sha256 of the rules (order-independent), for cache keys."""
        text = "\n".join(f"{word}={reading}" for word, reading in sorted(self.rules))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def merged(self, other: Lexicon) -> Lexicon:
        """These rules plus ``other``'s; ``other`` wins for a word both define."""
        return Lexicon(self.rules + other.rules)

    def apply(self, text: str) -> str:
        """Replace every jieba token of ``text`` equal to a rule word by its reading.

        Rules whose reading is toned pinyin are decisions for the reading layer only: text
        engines are given the word as it stands.
        """
        mapping = {w: r for w, r in self.mapping.items() if not is_pinyin_reading(r)}
        if not text or not any(word in text for word in mapping):
            return text
        words = segmenter.cut(text, frozenset(self.mapping))
        return "".join(mapping.get(word, word) for word in words)


#: One toned syllable (``wei2``, ``lv4``, ``er5``), tone 1-5, ``v`` for ü.
_SYLLABLE = re.compile(r"[a-z]*[aeiouvr][a-z]*[1-5]")


def is_pinyin_reading(reading: str) -> bool:
    """Whether a rule's reading is toned pinyin (``wei2 he2 xin1``) rather than characters."""
    parts = reading.split()
    return bool(parts) and all(_SYLLABLE.fullmatch(p) for p in parts)


def segment(text: str, lexicon: Lexicon) -> list[str]:
    """jieba's words of ``text``, each rule word of ``lexicon`` kept whole where it is a word."""
    return segmenter.cut(text, lexicon.words)


def parse_lexicon(text: str, source: str) -> Lexicon:
    """Parse ``词=读法`` lines (``#`` comments, blank lines); ConfigError names source:line."""
    rules: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, sep, reading = (part.strip() for part in line.partition("="))
        if not sep or not word or not reading or any(ch.isspace() for ch in word):
            raise ConfigError(
                f"lexicon {source}:{number}: expected 词=读法, got {line!r}"
                " (one rule per line, a word without spaces, '=', a non-empty reading)"
            )
        candidate = " ".join(reading.lower().replace("ü", "v").split())
        if is_pinyin_reading(candidate):
            reading = candidate
            if len(reading.split()) != len(word):
                raise ConfigError(
                    f"lexicon {source}:{number}: {word} has {len(word)} characters but"
                    f" {len(reading.split())} syllables in {reading!r}; give one per character"
                )
        rules.append((word, reading))
    return Lexicon(tuple(rules))


@lru_cache(maxsize=1)
def builtin_lexicon() -> Lexicon:
    """The rules shipped in ``audiopack/data/lexicon.txt``."""
    text = resources.files("audiopack").joinpath("data/lexicon.txt").read_text(encoding="utf-8")
    return parse_lexicon(text, "audiopack/data/lexicon.txt")


def load_lexicon(path: Path | None) -> Lexicon:
    """The built-in rules plus the rules of ``path`` (UTF-8; its rules win)."""
    base = builtin_lexicon()
    if path is None:
        return base
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"lexicon {path}: file not found; check the path") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"lexicon {path}: not UTF-8 ({e.reason}); save it as UTF-8") from None
    except OSError as e:
        raise ConfigError(f"lexicon {path}: cannot read it ({e.strerror})") from None
    return base.merged(parse_lexicon(text, str(path)))
