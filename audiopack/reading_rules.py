"""Polyphone rules for constructions that pypinyin's phrase dictionary misses.

Each rule looks at one jieba word (a single polyphonic character, as a rule) and its
neighbours within the clause, and overrides the dictionary's syllable. Words the lexicon
decided are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from audiopack.reading import Word


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Objects of 以…为…: "take … as …" (wéi).
_WEI_OBJECTS = _words(
    "核心 指导 主线 重点 中心 基础 引领 抓手 主 目标 导向 根本 例 主题 载体 纽带 宗旨 统领 依托 "
    "支撑 方向 前提 保障 动力 己任 本 先 重 准 纲 镜 鉴 戒 师 荣 耻 首 主体 龙头 平台 契机 切入点 "
    "突破口 着力点 落脚点 出发点 立足点 标志 代表 标准 准绳 遵循 指引 牵引 主导 关键 重心 灵魂 "
    "骨干 补充 辅 主攻方向 主战场 主阵地 重要内容 核心内容 根本遵循 行动指南 根本保证 基本单元 "
    "依据 原则 单位 单元 代价 题 机遇 重中之重 第一要务 第一动力 第一资源 突破 切口 根本目的 "
    "出发点和落脚点"
)


def apply_rules(items: Sequence[Word | str]) -> None:
    """Override dictionary syllables in place where a rule knows better."""
    for position, item in enumerate(items):
        if not isinstance(item, Word) or item.fixed:
            continue
        if item.text[0] == "为":
            _wei(items, position, item)
        elif item.text == "地":
            _di(items, position, item)


#: Marks that end a clause; quotes, 、 and brackets do not (以“…”为题, 以A、B为重点).
_CLAUSE_END = frozenset("，。！？；：…,.!?;:\n")


def _clause_words(items: Sequence[Word | str]) -> list[Word]:
    words: list[Word] = []
    for item in items:
        if isinstance(item, Word):
            words.append(item)
        elif not _CLAUSE_END.isdisjoint(item):
            break
    return words


def _clause_before(items: Sequence[Word | str], position: int) -> list[Word]:
    return _clause_words(items[position - 1 :: -1] if position else [])[::-1]


def _clause_after(items: Sequence[Word | str], position: int) -> list[Word]:
    return _clause_words(items[position + 1 :])


#: Words with 以 where it is not "take … (as)": 可以, 以及, 以来 ...
_NOT_TAKE = _words(
    "可以 所以 予以 加以 难以 得以 足以 用以 借以 据以 何以 是以 给以 以及 以来 以后 以前 "
    "以上 以下 以内 以外 以便 以免 以致 以至 以往 以为 以至于"
)


def _takes_as(word: str) -> bool:
    """Whether ``word`` is, or holds, the 以 of 以…为… (jieba may join it: 我以, 以此)."""
    return "以" in word and word not in _NOT_TAKE and (word[0] == "以" or word[-1] == "以")


def _wei(items: Sequence[Word | str], position: int, word: Word) -> None:
    """为: wéi in 以…为… ("take … as …") and before a number ("增速为五"); else the dictionary
    (wèi: 为了, 为人民服务)."""
    before = _clause_before(items, position)
    after = _clause_after(items, position)
    if len(word.text) > 1:  # 为题, 为主: the rest of the word is the object
        after = [Word(word.text[1:], word.syllables[1:]), *after]
    if not after or word.syllables[0] == "wei2":
        return
    if len(word.text) == 1 and after[0].text[0] in "零〇一二三四五六七八九十百千万亿两":
        word.syllables[0] = "wei2"
        return
    if any(_takes_as(w.text) for w in before):
        ends_soon = len(after) <= 2 or (len(after) > 1 and after[1].text == "的")
        if after[0].text in _WEI_OBJECTS or ends_soon:
            word.syllables[0] = "wei2"


def _di(items: Sequence[Word | str], position: int, word: Word) -> None:
    """地 on its own: the adverbial particle de between a modifier and the verb it modifies
    (认真地学习, 更好地发挥), the noun dì where no verb follows (…的地, 集散地 are words)."""
    before = _clause_before(items, position)
    after = _clause_after(items, position)
    if before and after and len(before[-1].text) >= 2 and after[0].text not in _NOT_VERBS:
        word.syllables = ["de5"]


#: Words after a lone 地 that show it is the noun (土地上 is one word; 此地的, 该地区 are not).
_NOT_VERBS = _words("的 上 下 里 中 内 外 区 方 带 块 处 和 与 及")
