"""jieba's default-mode word segmentation on a word table the caller fills word by word.

This follows jieba 0.42.1's algorithm step for step (``Tokenizer.cut`` with and without its
HMM, ``Tokenizer.suggest_freq`` with ``tune=False``, ``finalseg.cut``): the same split into
blocks, the DAG of the table's words over a block, the route of maximum log probability (its
ties broken as jieba's ``max`` over ``(log probability, end)`` breaks them, the floating-point
arithmetic in the same order), the buffering of single characters, and finalseg's Viterbi over
the states B, M, E, S for a run of them that is not a word. It cuts exactly as a
:class:`jieba.Tokenizer` holding the same words would, without importing jieba: its import
alone (``pkg_resources``, through ``jieba._compat``) costs more CPU than a small rebuild's
reading, and the word index holds everything the cut needs.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from math import log
from typing import Protocol

__all__ = ["HiddenMarkovModel", "WordTable"]

#: jieba's blocks: runs of these go through the word route, the rest is cut apart.
_RE_HAN = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")
_RE_SKIP = re.compile(r"(\r\n|\s)")
_RE_ENG = re.compile(r"[a-zA-Z0-9]")
#: finalseg's split of a run it is given: Han runs go through the Viterbi.
_RE_HMM_HAN = re.compile(r"([\u4E00-\u9FD5]+)")
_RE_HMM_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")

#: finalseg's log probability of what its tables do not hold.
MIN_FLOAT = -3.14e100
_STATES = "BMES"
_PREV_STATUS = {"B": "ES", "M": "MB", "S": "SE", "E": "BM"}


class HiddenMarkovModel(Protocol):
    """jieba.finalseg's tables, as log probabilities: of the first state (``start``), of a
    state following another (``trans[state][next]``) and of each state emitting a character."""

    @property
    def start(self) -> Mapping[str, float]: ...

    @property
    def trans(self) -> Mapping[str, Mapping[str, float]]: ...

    def emissions(self, chars: Collection[str]) -> Mapping[str, Mapping[str, float]]:
        """For each of ``chars`` the tables know, its log probability by state."""
        ...


class WordTable:
    """Words with their frequencies and total, as a :class:`jieba.Tokenizer` holds them once
    they are added with ``add_word``: every prefix of a word is in the table, with frequency 0
    unless it is a word itself."""

    def __init__(self, model: HiddenMarkovModel) -> None:
        self._model = model
        self._freq: dict[str, int] = {}
        self.total = 0

    def add_word(self, word: str, freq: int) -> None:
        """jieba's ``add_word(word, freq)``. A frequency below 1 is refused: jieba's meaning
        of 0 (deleting the word and force-splitting it in its HMM, process-wide) is not kept."""
        if freq < 1:
            raise ValueError(f"frequency of {word!r} must be at least 1, got {freq}")
        self._freq[word] = freq
        self.total += freq
        for end in range(1, len(word) + 1):
            self._freq.setdefault(word[:end], 0)

    def frequency(self, word: str) -> int:
        """The word's frequency; 0 when it is not a word of the table."""
        return self._freq.get(word, 0)

    def suggest_freq(self, word: str) -> int:
        """jieba's ``suggest_freq(word, tune=False)``: the frequency that makes ``word`` one
        token where the table's statistics allow."""
        ftotal = float(self.total)
        freq: float = 1
        for seg in self.cut(word, hmm=False):
            freq *= self._freq.get(seg, 1) / ftotal
        return max(int(freq * self.total) + 1, self._freq.get(word, 1))

    def cut(self, sentence: str, hmm: bool = True) -> Iterator[str]:
        """jieba's ``cut(sentence, HMM=hmm)`` (neither ``cut_all`` nor paddle)."""
        cut_block = self._cut_dag if hmm else self._cut_dag_no_hmm
        for blk in _RE_HAN.split(sentence):
            if not blk:
                continue
            if _RE_HAN.match(blk):
                yield from cut_block(blk)
            else:
                for x in _RE_SKIP.split(blk):
                    if _RE_SKIP.match(x):
                        yield x
                    else:
                        yield from x

    def _dag(self, sentence: str) -> dict[int, list[int]]:
        dag: dict[int, list[int]] = {}
        n = len(sentence)
        for k in range(n):
            ends: list[int] = []
            i = k
            frag = sentence[k]
            while i < n and frag in self._freq:
                if self._freq[frag]:
                    ends.append(i)
                i += 1
                frag = sentence[k : i + 1]
            dag[k] = ends or [k]
        return dag

    def _route(self, sentence: str) -> dict[int, tuple[float, int]]:
        dag = self._dag(sentence)
        n = len(sentence)
        route: dict[int, tuple[float, int]] = {n: (0, 0)}
        logtotal = log(self.total)
        for idx in range(n - 1, -1, -1):
            route[idx] = max(
                (log(self._freq.get(sentence[idx : x + 1]) or 1) - logtotal + route[x + 1][0], x)
                for x in dag[idx]
            )
        return route

    def _cut_dag_no_hmm(self, sentence: str) -> Iterator[str]:
        route = self._route(sentence)
        x = 0
        n = len(sentence)
        buf = ""
        while x < n:
            y = route[x][1] + 1
            l_word = sentence[x:y]
            if _RE_ENG.match(l_word) and len(l_word) == 1:
                buf += l_word
            else:
                if buf:
                    yield buf
                    buf = ""
                yield l_word
            x = y
        if buf:
            yield buf

    def _cut_dag(self, sentence: str) -> Iterator[str]:
        route = self._route(sentence)
        x = 0
        buf = ""
        n = len(sentence)
        while x < n:
            y = route[x][1] + 1
            l_word = sentence[x:y]
            if y - x == 1:
                buf += l_word
            else:
                if buf:
                    yield from self._flush(buf)
                    buf = ""
                yield l_word
            x = y
        if buf:
            yield from self._flush(buf)

    def _flush(self, buf: str) -> Iterator[str]:
        """A run of single characters: itself if one, the HMM's words if not a word."""
        if len(buf) == 1:
            yield buf
        elif not self._freq.get(buf):
            yield from self._hmm_cut(buf)
        else:
            yield from buf

    def _hmm_cut(self, sentence: str) -> Iterator[str]:
        """finalseg's ``cut`` (its set of force-split words empty)."""
        for blk in _RE_HMM_HAN.split(sentence):
            if _RE_HMM_HAN.match(blk):
                yield from self._viterbi_cut(blk)
            else:
                yield from (x for x in _RE_HMM_SKIP.split(blk) if x)

    def _viterbi_cut(self, sentence: str) -> Iterator[str]:
        pos_list = _viterbi(sentence, self._model)
        begin, nexti = 0, 0
        for i, char in enumerate(sentence):
            pos = pos_list[i]
            if pos == "B":
                begin = i
            elif pos == "E":
                yield sentence[begin : i + 1]
                nexti = i + 1
            elif pos == "S":
                yield char
                nexti = i + 1
        if nexti < len(sentence):
            yield sentence[nexti:]


def _viterbi(obs: str, model: HiddenMarkovModel) -> list[str]:
    """finalseg's ``viterbi(obs, 'BMES', ...)``: the most probable states of ``obs``."""
    start, trans = model.start, model.trans
    emissions = model.emissions(set(obs))
    emit = [emissions.get(ch, {}) for ch in obs]
    v: list[dict[str, float]] = [{}]
    path: dict[str, list[str]] = {}
    for y in _STATES:
        v[0][y] = start[y] + emit[0].get(y, MIN_FLOAT)
        path[y] = [y]
    for t in range(1, len(obs)):
        v.append({})
        newpath: dict[str, list[str]] = {}
        for y in _STATES:
            em_p = emit[t].get(y, MIN_FLOAT)
            prob, state = max(
                (v[t - 1][y0] + trans[y0].get(y, MIN_FLOAT) + em_p, y0) for y0 in _PREV_STATUS[y]
            )
            v[t][y] = prob
            newpath[y] = [*path[state], y]
        path = newpath
    _, state = max((v[len(obs) - 1][y], y) for y in "ES")
    return path[state]
