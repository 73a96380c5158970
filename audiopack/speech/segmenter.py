"""jieba word segmentation in which the lexicon's rule words are words where jieba allows it.

Each text is cut by a private word table (:class:`audiopack.speech.word_route.WordTable`,
jieba's algorithm without jieba) that holds only the dictionary words the text contains (from
:mod:`audiopack.speech.word_index`) with their frequencies, and a padding word that brings its
total to the whole dictionary's: jieba's route through a text looks up nothing but the text's
own substrings, so this cuts exactly as the whole dictionary would, without loading it. The
table is filled as a :class:`jieba.Tokenizer` would be through ``add_word``, ``suggest_freq``
and ``cut``.

Rule words are added with the frequency that makes them one token where jieba's statistics
allow, and a dictionary word that merely *contains* a rule word and would hide it
(``银行行长`` for ``行长``) is left out when jieba, without it, cuts it into pieces one of which
is a rule word (银行|行长), and kept otherwise (成长期 is 成长|期, not 成|长期). A word left out
is never made up again by jieba's HMM from single characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from audiopack.speech.word_index import main_dictionary
from audiopack.speech.word_route import WordTable

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
    table, known, dropped = _table_for_text(text, words)
    result: list[Token] = []
    for word in table.cut(text, hmm=True):
        if word in dropped:  # only jieba's HMM can make it: split it back
            result.extend(Token(ch, ch in known) for ch in word)
        else:
            result.append(Token(word, word in known))
    return result


def _table_for_text(text: str, rules: frozenset[str]) -> tuple[WordTable, set[str], set[str]]:
    """A word table for ``text``, the words it knows, and the dictionary words it left out."""
    dictionary = main_dictionary()
    present = _substrings(text, max(dictionary.max_length, max(map(len, rules), default=1)))
    found = dictionary.frequencies(present)
    hiding_pattern = _hiding_pattern(rules)
    hiding = sorted(
        (w for w in found if w not in rules and hiding_pattern and hiding_pattern.search(w)),
        key=len,  # a word is decided after the words inside it (极端重要 after 重要)
    )
    table = WordTable(dictionary)
    hidden = set(hiding)
    for word, freq in found.items():
        if word not in hidden:
            table.add_word(word, freq)
    table.add_word(_PADDING, max(1, dictionary.total - table.total))
    known = {w for w in found if w not in hidden}
    for word in sorted(rules & present):
        # A word jieba does not know gets the frequency that makes it one token on its own; a
        # much higher one would also win against context ("行长期" would become "行长|期").
        freq = max(found.get(word, 0), table.suggest_freq(word), 1)
        table.add_word(word, freq)
        known.add(word)
    dropped: set[str] = set()
    for word in hiding:
        if rules.isdisjoint(table.cut(word, hmm=False)):
            table.add_word(word, found[word])
            known.add(word)
        else:
            dropped.add(word)
    return table, known, dropped


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
