"""Polyphone rules for constructions that pypinyin's phrase dictionary misses.

pypinyin reads a word it has no phrase for character by character, each with its first
syllable (长 zhǎng, 为 wèi, 地 dì, 得 dé, 重 zhòng), and knows nothing of grammar. The rules
below look at one jieba word and its neighbours in the clause and override a syllable where
the construction decides it. Words the lexicon decided are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from audiopack.speech.reading import Word


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


Items = Sequence[Word | str]

_NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两几")

#: Marks that end a clause; quotes, 、 and brackets do not (以“…”为题, 以A、B为重点).
_CLAUSE_END = frozenset("，。！？；：…,.!?;:\n")


def _clause_words(items: Items) -> list[Word]:
    words: list[Word] = []
    for item in items:
        if isinstance(item, Word):
            words.append(item)
        elif not _CLAUSE_END.isdisjoint(item):
            break
    return words


def _clause_before(items: Items, position: int) -> list[Word]:
    return _clause_words(items[position - 1 :: -1] if position else [])[::-1]


def _clause_after(items: Items, position: int) -> list[Word]:
    return _clause_words(items[position + 1 :])


def _next_char(items: Items, position: int) -> str:
    """The character right after the word at ``position`` ("" at the end)."""
    following = items[position + 1] if position + 1 < len(items) else ""
    return following.text[0] if isinstance(following, Word) else following[:1]


def _previous_char(items: Items, position: int) -> str:
    before = items[position - 1] if position else ""
    return before.text[-1] if isinstance(before, Word) else before[-1:]


# ----------------------------------------------------------------------------------- 为 wéi


#: Objects of 以…为…: "take … as …" (wéi).
_WEI_OBJECTS = _words(
    "核心 指导 主线 重点 中心 基础 引领 抓手 主 目标 导向 根本 例 主题 载体 纽带 宗旨 统领 依托 "
    "支撑 方向 前提 保障 动力 己任 本 先 重 准 纲 镜 鉴 戒 师 荣 耻 首 主体 龙头 平台 契机 切入点 "
    "突破口 着力点 落脚点 出发点 立足点 标志 代表 标准 准绳 遵循 指引 牵引 主导 关键 重心 灵魂 "
    "骨干 补充 辅 主攻方向 主战场 主阵地 重要内容 核心内容 根本遵循 行动指南 根本保证 基本单元 "
    "依据 原则 单位 单元 代价 题 机遇 重中之重 第一要务 第一动力 第一资源 突破 切口 根本目的 "
    "出发点和落脚点 名 由 宜 限 止 要 大 伍 邻 伴 友 生 业 家"
)
#: Objects after which 为 is wéi even without 以 (按劳分配为主体, 民生为大, 以…为例).
_WEI_ALWAYS = _words("主体 主 辅 先 重 本 大 荣 耻 要 准 宜 限 止 例 主导 首 名 伍 邻 伴")
#: Words with 以 where it is not "take … (as)": 可以, 以及, 以来 ...
_NOT_TAKE = _words(
    "可以 所以 予以 加以 难以 得以 足以 用以 借以 据以 何以 是以 给以 以及 以来 以后 以前 "
    "以上 以下 以内 以外 以便 以免 以致 以至 以往 以为 以至于"
)
#: Words ending in 为 where it is wèi ("for", "because").
_WEI4_ENDINGS = _words("因为 是因为 只为 专为 特为 为为 正因为 就因为 也因为")
#: Words before a lone 为 that make it wéi, "be, become, as" (均为, 成长为, 依次为, 列为).
_WEI2_AFTER = _words(
    "均 同 皆 俱 亦 即 乃 而 分别 依次 成长 转化 转变 演变 发展 划 分 列 评 选 定 改 变 称 视 "
    "作 化 转 译 命名 更名 简称 统称 合称 并称 确定 认定 归纳 概括 设 拟 定性 表现 拆分 划分 细分 "
    "调整 合并 升级 提升 改造 建设 打造 培育 确立 界定 核定 核准 批准 扩大 缩小 下调 上调"
)


def _states_a_quantity(after: list[Word]) -> bool:
    """Whether the clause after 为 is a quantity and nothing more (增速为五点二, 人口为一点四亿人):
    为 is then "is" (wéi); with more after it (为二十九个省份保供), "for" (wèi)."""
    if not after or after[0].text[0] not in _NUMERALS:
        return False
    rest = [w.text for w in after if w.text[0] not in _NUMERALS and w.text not in _MEASURES]
    return len(rest) <= 1  # 为五点二, 为一点四亿人, 为百分之五左右


_MEASURES = _words(
    "个 元 亿元 万元 人 万人 亿人 年 月 天 日 次 项 家 所 座 台 辆 吨 万吨 亿吨 公里 平方公里 米 "
    "平方米 千米 公顷 亩 万亩 户 万户 倍 点 分 秒 小时 岁 名 件 条 种 类 位 处 级 度 百分之 千分之 "
    "成 批 套 张 部 份 篇 起 例 只 头 支"
)


def _takes_as(word: str) -> bool:
    """Whether ``word`` is, or holds, the 以 of 以…为… (jieba may join it: 我以, 以此)."""
    return "以" in word and word not in _NOT_TAKE and (word[0] == "以" or word[-1] == "以")


def _wei(items: Items, position: int, word: Word, index: int) -> None:
    """为: wéi in 以…为… ("take … as …"), before a number (增速为五), in X为 words (成长为,
    列为, 均为) and before a few objects (为主体); else the dictionary (wèi: 为了, 为人民)."""
    if word.syllables[index] != "wei4":
        return
    if index == len(word.text) - 1 and len(word.text) > 1:
        if word.text not in _WEI4_ENDINGS:
            word.syllables[index] = "wei2"
        return
    if index != 0:
        return
    after = _clause_after(items, position)
    if len(word.text) > 1:  # 为题, 为主: the rest of the word is the object
        after = [Word(word.text[1:], word.syllables[1:]), *after]
    if not after:
        return
    first = after[0].text
    previous = _item(items, position - 1)
    if isinstance(previous, Word) and previous.text in _WEI2_AFTER:
        word.syllables[index] = "wei2"
        return
    if len(word.text) == 1 and (first in _WEI_ALWAYS or _states_a_quantity(after)):
        word.syllables[index] = "wei2"
        return
    if any(_takes_as(w.text) for w in _clause_before(items, position)):
        near = [w.text for w in after[:3]]
        ends_soon = len(after) <= 2 or "的" in near[1:]
        if ends_soon or not _WEI_OBJECTS.isdisjoint(near):
            word.syllables[index] = "wei2"


# ------------------------------------------------------------------------------ other rules

#: Words after a lone 地 that show it is the noun (此地的, 该地区 are not adverbial).
_DI_NOUN_NEXT = _words("的 上 下 里 中 内 外 区 方 带 块 处 和 与 及 是 为")
#: Words ending in 地 that are adverbs (系统地, 似地), besides reduplications (默默地).
_DI_ADVERBS = _words("系统 似 般 猛 一般 逐步 积极 主动 全面 深入 切实 有效 不断 更好 更加")


def _di(items: Items, position: int, word: Word, index: int) -> None:
    """地 as the adverbial particle de (认真地学习, 默默地, 系统地), else the noun dì."""
    if word.syllables[index] != "di4":
        return
    if index == 0 and not word.known:  # jieba's HMM joined it to the verb: 辛辛苦苦|地写
        before = _clause_before(items, position)
        if before and (_reduplicated(before[-1].text) or before[-1].text in _DI_ADVERBS):
            word.syllables[index] = "de5"
        return
    if index != len(word.text) - 1:
        return
    if len(word.text) > 1:
        stem = word.text[:-1]
        if stem in _DI_ADVERBS or _reduplicated(stem) or _degree_before(items, position, word):
            word.syllables[index] = "de5"
        return
    before = _clause_before(items, position)
    following = items[position + 1] if position + 1 < len(items) else None
    if (
        before
        and len(before[-1].text) >= 2
        and isinstance(following, Word)
        and following.text not in _DI_NOUN_NEXT
        and not isinstance(items[position - 1], str)
    ):
        word.syllables[index] = "de5"


def _degree_before(items: Items, position: int, word: Word) -> bool:
    """更大地 / 最大地 / 较好地: jieba takes 大地 ("the earth") as a word, but after a degree
    adverb the 地 is the particle."""
    previous = items[position - 1] if position else None
    return (
        len(word.text) == 2
        and isinstance(previous, Word)
        and previous.text[-1:] in ("更", "最", "较", "很", "极", "越")
    )


def _reduplicated(stem: str) -> bool:
    """AA, AABB or ABAB (默默, 认认真真, 研究研究)."""
    if len(stem) == 2:
        return stem[0] == stem[1]
    if len(stem) == 4:
        return (stem[0] == stem[1] and stem[2] == stem[3]) or stem[:2] == stem[2:]
    return False


def _de(items: Items, position: int, word: Word, index: int) -> None:
    """得 on its own after a word, or after a common verb (变得, 用得上, 调|得出), is the
    complement particle de; 取得, 获得, 得出结论 keep dé."""
    if word.syllables[index] != "de2":
        return
    before = word.text[index - 1] if index else _previous_char(items, position)
    if before in "所获取赢求应":  # 所得, 获得: "obtain"
        return
    if before in _DE5_VERBS or (word.text == "得" and isinstance(_item(items, position - 1), Word)):
        word.syllables[index] = "de5"


#: One-character verbs that take 得 as a complement particle (变得, 做得好, 用得上).
_DE5_VERBS = frozenset("变来显弄搞说做干抓讲办写跑走过长用调看听想落管守顶")


def _item(items: Items, position: int) -> Word | str | None:
    return items[position] if 0 <= position < len(items) else None


def _zhi(items: Items, position: int, word: Word, index: int) -> None:
    """只 after a numeral is the measure word zhī (两只, 每只, 单只)."""
    before = word.text[index - 1] if index else _previous_char(items, position)
    if word.syllables[index] == "zhi3" and (before in _NUMERALS or before in "每单这那各"):
        word.syllables[index] = "zhi1"


def _chang_measure(items: Items, position: int, word: Word, index: int) -> None:
    """场 after a numeral is the measure word chǎng (一场盛会, 两场比赛), as pypinyin already
    has it for 这场, 两场."""
    before = word.text[index - 1] if index else _previous_char(items, position)
    if word.syllables[index] == "chang2" and (before in _NUMERALS or before in "每这那各"):
        word.syllables[index] = "chang3"


def _chu(items: Items, position: int, word: Word, index: int) -> None:
    """处 before 在/于 is chǔ, "be situated" (正|处在, 身处); a noun ending in 处 (坏处|在)
    is left alone."""
    if word.syllables[index] != "chu4":
        return
    after = word.text[index + 1] if index + 1 < len(word.text) else _next_char(items, position)
    stem = word.text[:index]
    if (after in "在于" and stem in ("", "正", "仍", "均", "尚", "已", "还", "都", "所", "同")) or (
        word.text in ("身处", "地处")
    ):
        word.syllables[index] = "chu3"


#: Second characters of 重X words where 重 means "again" (chóng): 重塑, 重构, 重振 ...
_CHONG_VERBS = frozenset(
    "塑构振估置回铸焕订写排造编拾提整复新建组申温现返修审叠演启获游访逢聚燃译选归开来走"
)


def _zhong(items: Items, position: int, word: Word, index: int) -> None:
    """重 chóng, "again", in 重X verbs (重塑, 重构); 重重 before 地 is zhòngzhòng, "heavily"."""
    if word.text == "重重地" or (word.text == "重重" and _next_char(items, position) == "地"):
        word.syllables[:2] = ["zhong4", "zhong4"]
        return
    if (
        index == 0
        and len(word.text) == 2
        and word.syllables[0] == "zhong4"
        and word.text[1] in _CHONG_VERBS
    ):
        word.syllables[0] = "chong2"


#: Second characters of 长X words where 长 is zhǎng: 长大, 长辈 ...
_ZHANG_FIRST = frozenset("大辈官者子孙女兄势相进成老房幼")


def _chang(items: Items, position: int, word: Word, index: int) -> None:
    """长 at the start of a word pypinyin does not know is mostly cháng (长效, 长三角), and
    after a degree word (最长, 全长) too; 行长, 处长 stay zhǎng."""
    if word.syllables[index] != "zhang3":
        return
    if len(word.text) == 1:  # the noun "length": 其长与高, 长九十六
        before, after = _previous_char(items, position), _next_char(items, position)
        if before in "其之全总" or after in _NUMERALS:
            word.syllables[0] = "chang2"
    elif index == 0 and word.text[1] not in _ZHANG_FIRST:
        word.syllables[0] = "chang2"
    elif index == 1 and len(word.text) == 2 and word.text[0] in _CHANG_AFTER:
        word.syllables[1] = "chang2"


#: First characters of X长 words where 长 is cháng, "long": 最长, 全长, 绵长 ...
_CHANG_AFTER = frozenset("最全多较更很太过体身绵悠冗狭修细深其")


def _zang(items: Items, position: int, word: Word, index: int) -> None:
    """藏 alone between 、 is Tibet (川、滇、藏、青), zàng."""
    if word.text == "藏" and "、" in (_previous_char(items, position), _next_char(items, position)):
        word.syllables[index] = "zang4"


def _ying(items: Items, position: int, word: Word, index: int) -> None:
    """应 on its own before …邀请/请求/要求 is yìng, "at the request of" (应朝鲜…请求)."""
    if word.text == "应" and word.syllables[index] == "ying1":
        after = {w.text for w in _clause_after(items, position)}
        if not after.isdisjoint(("邀请", "请求", "要求", "之邀", "邀", "约请")):
            word.syllables[index] = "ying4"


#: Verbs before 当年 that make it dàng nián, "that same year" (免征|当年车船税).
_DANG4_NIAN_AFTER = _words("免征 改挂 计入 列入 缴纳 用于 减免 免缴 扣除 抵扣 征收 退还 结转")


def _dang(items: Items, position: int, word: Word, index: int) -> None:
    """当年 after 的 or a fiscal verb is dàng nián, "the same year" (取得证书的当年)."""
    if word.text != "当年" or word.syllables[0] != "dang1":
        return
    previous = _item(items, position - 1)
    if isinstance(previous, Word) and (
        previous.text[-1] == "的" or previous.text in _DANG4_NIAN_AFTER
    ):
        word.syllables[0] = "dang4"


def _zhao(items: Items, position: int, word: Word, index: int) -> None:
    """朝阳 is the place Cháoyáng before 区/市/县 or in a list of places (大连、朝阳), and
    zhāoyáng, "rising sun", otherwise (朝阳产业)."""
    if word.text != "朝阳" or word.syllables[0] != "zhao1":
        return
    if _next_char(items, position) in "区市县门路街" or _previous_char(items, position) == "、":
        word.syllables[0] = "chao2"


Rule = Callable[[Items, int, Word, int], None]
RULES: dict[str, Rule] = {
    "为": _wei, "地": _di, "得": _de, "只": _zhi, "处": _chu, "重": _zhong, "长": _chang,
    "藏": _zang, "应": _ying, "当": _dang, "场": _chang_measure,
    "朝": _zhao,
}  # fmt: skip


def apply_rules(items: Items) -> None:
    """Override dictionary syllables in place where a rule knows better."""
    for position, item in enumerate(items):
        if not isinstance(item, Word) or item.fixed:
            continue
        for index, ch in enumerate(item.text):
            rule = RULES.get(ch)
            if rule is not None:
                rule(items, position, item, index)
