"""jieba word segmentation in which the lexicon's rule words are words where jieba allows it.

One private :class:`jieba.Tokenizer` per set of rule words, made on first use with jieba's
public API only: ``initialize``, ``add_word`` / ``suggest_freq`` for the rule words, and
``del_word`` for every dictionary word that merely *contains* a rule word and would otherwise
hide it (``银行行长`` for ``行长``). Such a word is dropped when jieba, without it, cuts it into
pieces one of which is a rule word (银行|行长), and kept otherwise (成长期 is 成长|期, not
成|长期), so jieba decides by its own statistics whether a rule word is a word in context.

Loading jieba's dictionary takes about a second of CPU, paid only by a process that segments
text at all: the speech memo remembers every sentence already decided.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any

from audiopack.usercache import cache_folders

log = logging.getLogger(__name__)

#: The tokenizers of this process, one per set of rule words (adding words changes one).
_TOKENIZERS: dict[frozenset[str], Any] = {}
_LOCK = threading.Lock()


def cut(text: str, words: frozenset[str]) -> list[str]:
    """jieba's words of ``text`` (with its HMM for unknown words), ``words`` kept whole."""
    return list(tokenizer_for(words).cut(text, HMM=True)) if text else []


def known(word: str, words: frozenset[str]) -> bool:
    """Whether ``word`` is in the dictionary of the tokenizer for ``words`` (jieba's HMM also
    makes up words from single characters: 辛辛苦苦|地写)."""
    return bool(tokenizer_for(words).FREQ.get(word))


def tokenizer_for(words: frozenset[str]) -> Any:
    """The tokenizer that keeps each of ``words`` as one word where jieba's statistics allow."""
    with _LOCK:
        tokenizer = _TOKENIZERS.get(words)
        if tokenizer is None:
            tokenizer = _make_tokenizer(words)
            _TOKENIZERS[words] = tokenizer
        return tokenizer


def _make_tokenizer(words: frozenset[str]) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = _cache_dir()
    tokenizer.initialize()
    if not words:
        return tokenizer
    for word in sorted(words):
        # A word jieba does not know gets the frequency that makes it one token on its own; a
        # much higher one would also win against context ("行长期" would become "行长|期").
        known = tokenizer.FREQ.get(word, 0)
        tokenizer.add_word(word, max(known, tokenizer.suggest_freq(word, tune=False), 1))
    dropped = 0
    for word, freq in _words_containing(tokenizer, words):
        tokenizer.del_word(word)
        if words.isdisjoint(tokenizer.cut(word, HMM=False)):
            tokenizer.add_word(word, freq)
        else:
            dropped += 1
    log.debug("segmenter: %d rule words, %d dictionary words hiding them dropped",
              len(words), dropped)  # fmt: skip
    return tokenizer


def _cache_dir() -> str | None:
    """A folder of this user's for jieba's dictionary cache. jieba's default, the temp folder's
    ``jieba.cache``, is shared by every user of the machine: once one has written it, another
    can neither read it (mode 0600) nor replace it, and pays the slow load with a traceback on
    stderr every run."""
    for folder in cache_folders():
        path = folder / "jieba"
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return str(path)
    return None


def _words_containing(tokenizer: Any, words: frozenset[str]) -> list[tuple[str, int]]:
    """Dictionary words (with their frequency) that contain one of ``words`` and are not one."""
    longest_first = sorted(words, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(word) for word in longest_first))
    with tokenizer.get_dict_file() as stream:
        dictionary = stream.read().decode("utf-8")
    found: dict[str, int] = {}
    # Searching the whole file once is several times faster than testing each of its words.
    for match in pattern.finditer(dictionary):
        start = dictionary.rfind("\n", 0, match.start()) + 1
        end = dictionary.find("\n", match.end())
        word = dictionary[start : end if end >= 0 else len(dictionary)].split(" ", 1)[0]
        if word in words or word in found or match.end() > start + len(word):
            continue
        freq = tokenizer.FREQ.get(word, 0)
        if freq:
            found[word] = freq
    # Shorter words first: a word is decided after the words inside it (极端重要 after 重要).
    return sorted(found.items(), key=lambda item: len(item[0]))
