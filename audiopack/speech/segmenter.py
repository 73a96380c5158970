"""jieba word segmentation in which the lexicon's rule words are words where jieba allows it.

Each text is cut by a private :class:`jieba.Tokenizer` that holds only the dictionary words
the text contains (from :mod:`audiopack.speech.word_index`) with their frequencies, and a padding
word that brings its total to the whole dictionary's: jieba's route through a text looks up
nothing but the text's own substrings, so this cuts exactly as the whole dictionary would,
without loading it. Only jieba's public API is used (``add_word``, ``suggest_freq``, ``cut``).

Rule words are added with the frequency that makes them one token where jieba's statistics
allow, and a dictionary word that merely *contains* a rule word and would hide it
(``银行行长`` for ``行长``) is left out when jieba, without it, cuts it into pieces one of which
is a rule word (银行|行长), and kept otherwise (成长期 is 成长|期, not 成|长期). A word left out
is never made up again by jieba's HMM from single characters.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from audiopack.speech.word_index import main_dictionary

__all__ = ["Token", "cut", "tokens"]

#: What jieba's ``cut`` hands to its dictionary route: runs of these, everything else apart.
_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")
#: A private-use character, standing for the rest of the dictionary's total frequency.
_PADDING = "\U000f0000"


@dataclass(frozen=True)
class Token:
    """One word of a cut, and whether it is a word of the dictionary or a rule word (``known``)
    rather than one jieba's HMM joined from single characters (辛辛苦苦|地写)."""

    text: str
    known: bool


def cut(text: str, words: frozenset[str]) -> list[str]:
    """jieba's words of ``text`` (with its HMM for unknown words), ``words`` kept whole."""
    return [token.text for token in tokens(text, words)]


def tokens(text: str, words: frozenset[str]) -> list[Token]:
    """:func:`cut`, each word marked known or made up."""
    text = text.replace(_PADDING, " ")
    if not text:
        return []
    tokenizer, known, dropped = _tokenizer_for_text(text, words)
    result: list[Token] = []
    for word in tokenizer.cut(text, HMM=True):
        if word in dropped:  # only jieba's HMM can make it: split it back
            result.extend(Token(ch, ch in known) for ch in word)
        else:
            result.append(Token(word, word in known))
    return result


def _tokenizer_for_text(text: str, rules: frozenset[str]) -> tuple[Any, set[str], set[str]]:
    """A tokenizer for ``text``, the words it knows, and the dictionary words it left out."""
    dictionary = main_dictionary()
    present = _substrings(text, max(dictionary.max_length, max(map(len, rules), default=1)))
    found = dictionary.frequencies(present)
    hiding_pattern = _hiding_pattern(rules)
    hiding = sorted(
        (w for w in found if w not in rules and hiding_pattern and hiding_pattern.search(w)),
        key=len,  # a word is decided after the words inside it (极端重要 after 重要)
    )
    tokenizer = _blank_tokenizer(dictionary.jieba_dir)
    hidden = set(hiding)
    for word, freq in found.items():
        if word not in hidden:
            tokenizer.add_word(word, freq)
    tokenizer.add_word(_PADDING, max(1, dictionary.total - tokenizer.total))
    known = {w for w in found if w not in hidden}
    for word in sorted(rules & present):
        # A word jieba does not know gets the frequency that makes it one token on its own; a
        # much higher one would also win against context ("行长期" would become "行长|期").
        freq = max(found.get(word, 0), tokenizer.suggest_freq(word, tune=False), 1)
        tokenizer.add_word(word, freq)
        known.add(word)
    dropped: set[str] = set()
    for word in hiding:
        if rules.isdisjoint(tokenizer.cut(word, HMM=False)):
            tokenizer.add_word(word, found[word])
            known.add(word)
        else:
            dropped.add(word)
    return tokenizer, known, dropped


def _substrings(text: str, longest: int) -> set[str]:
    """Every substring of ``text``'s jieba blocks up to ``longest`` characters."""
    result: set[str] = set()
    for match in _BLOCK.finditer(text):
        block = match.group()
        for start in range(len(block)):
            end = min(len(block), start + longest)
            result.update(block[start:stop] for stop in range(start + 1, end + 1))
    return result


@lru_cache(maxsize=8)
def _hiding_pattern(rules: frozenset[str]) -> re.Pattern[str] | None:
    if not rules:
        return None
    return re.compile("|".join(re.escape(w) for w in sorted(rules, key=len, reverse=True)))


def _blank_tokenizer(cache_dir: str | None) -> Any:
    """A :class:`jieba.Tokenizer` on an empty dictionary (words are added per text)."""
    tokenizer = _jieba().Tokenizer(str(_empty_dictionary()))
    # jieba keeps a cache of every dictionary it loads; this user's folder, not the shared temp.
    tokenizer.tmp_dir = cache_dir
    tokenizer.initialize()
    return tokenizer


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """jieba, its start-up banner silenced once."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


@lru_cache(maxsize=1)
def _empty_dictionary() -> Any:
    return resources.files("audiopack").joinpath("data/jieba-empty.txt")
