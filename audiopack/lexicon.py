"""Pronunciation lexicon: ``词=读法`` rules applied on jieba word boundaries.

A rule replaces a whole word with a reading, usually the same word with a polyphonic character
swapped for a homophone that has only the wanted reading (``还款=环款``). Rules only fire on word
boundaries: every rule word is added to a private :class:`jieba.Tokenizer`, and dictionary words
that merely *contain* a rule word (``银行行长`` for ``行长``) are removed from that tokenizer, so
jieba decides by its own statistics whether the rule word is a word in context (``银行|行长`` is
rewritten, ``行|长期`` is not).

jieba is imported lazily and only when a text contains a rule word, so start-up stays light.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from audiopack.errors import ConfigError

log = logging.getLogger(__name__)

#: The tokenizers, one per set of rule words (adding words mutates a tokenizer).
_TOKENIZERS: dict[frozenset[str], Any] = {}
_TOKENIZER_LOCK = threading.Lock()


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

    def fingerprint(self) -> str:
        """sha256 of the rules (order-independent), for cache keys."""
        text = "\n".join(f"{word}={reading}" for word, reading in sorted(self.rules))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def merged(self, other: Lexicon) -> Lexicon:
        """These rules plus ``other``'s; ``other`` wins for a word both define."""
        return Lexicon(self.rules + other.rules)

    def apply(self, text: str) -> str:
        """Replace every jieba token of ``text`` equal to a rule word by its reading."""
        mapping = self.mapping
        if not text or not any(word in text for word in mapping):
            return text
        tokenizer = tokenizer_for(frozenset(mapping))
        return "".join(mapping.get(token, token) for token in tokenizer.cut(text, HMM=True))


def tokenizer_for(words: frozenset[str]) -> Any:
    """A jieba Tokenizer that keeps each of ``words`` as one word where jieba's stats allow it."""
    with _TOKENIZER_LOCK:
        tokenizer = _TOKENIZERS.get(words)
        if tokenizer is None:
            tokenizer = _make_tokenizer(words)
            _TOKENIZERS[words] = tokenizer
        return tokenizer


def _make_tokenizer(words: frozenset[str]) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    if not words:
        return tokenizer
    for word in sorted(words):
        # A word jieba does not know gets the frequency that makes it one token on its own; a
        # much higher one would also win against context ("行长期" would become "行长|期").
        known = tokenizer.FREQ.get(word, 0)
        tokenizer.add_word(word, max(known, tokenizer.suggest_freq(word, tune=False), 1))
    # A dictionary word containing a rule word hides it ("银行行长" hides "行长"). Drop it when
    # jieba, without it, would cut it into pieces one of which is the rule word (银行|行长);
    # keep it when the rule word is not a word there ("成长期" is 成长|期, not 成|长期).
    pattern = re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))
    hiding = [
        (word, freq)
        for word, freq in tokenizer.FREQ.items()
        if freq and word not in words and pattern.search(word)
    ]
    dropped = 0
    for word, freq in hiding:
        tokenizer.del_word(word)
        if words.isdisjoint(tokenizer.cut(word, HMM=False)):
            tokenizer.add_word(word, freq)
        else:
            dropped += 1
    log.debug("lexicon tokenizer: %d rule words, %d hiding words dropped", len(words), dropped)
    return tokenizer


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
