"""The reading layer: toned pinyin decisions for sentences of real published texts.

Sentences come from the texts of tests/corpus (sources in their .expected.json files).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopack.errors import ConfigError
from audiopack.lexicon import Lexicon, builtin_lexicon, parse_lexicon
from audiopack.reading import Reading, Token, read

CORPUS = Path(__file__).parent / "corpus"


def syllables_of(sentence: str, span: str, lexicon: Lexicon | None = None, nth: int = 0) -> str:
    """The syllables decided for the nth occurrence of ``span`` in ``sentence``."""
    reading = read(sentence, lexicon or builtin_lexicon())
    start = -1
    for _ in range(nth + 1):
        start = sentence.index(span, start + 1)
    chars = [t for t in reading.tokens if t.pinyin is not None]
    offset = sum(1 for ch in sentence[:start] if _han(ch))
    return " ".join(str(t.pinyin) for t in chars[offset : offset + len(span)])


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or ch == "〇"


def test_corpus_sentences_exist() -> None:
    """The sentences below are quoted from the corpus, not made up."""
    text = "".join(p.read_bytes().decode("utf-8", "ignore") for p in CORPUS.glob("*.txt"))
    for sentence, *_ in WEI + YI_BU:
        assert sentence in text, sentence


def test_contract_shape() -> None:
    reading = read("以人民为中心，3.5", Lexicon())
    assert reading == Reading(
        (
            Token("以", "yi3"), Token("人", "ren2"), Token("民", "min2"), Token("为", "wei2"),
            Token("中", "zhong1"), Token("心", "xin1"), Token("，", None), Token("3.5", None),
        )
    )  # fmt: skip
    assert reading.as_text() == "yi3 ren2 min2 wei2 zhong1 xin1 ， 3.5"
    assert read("绿色女性", Lexicon()).as_text() == "lv4 se4 nv3 xing4"
    assert read("", Lexicon()).tokens == ()


WEI = [
    ("发展决不能以牺牲人的生命为代价", "为代价", "wei2 dai4 jia4"),
    ("我以“坚定理想信念、筑牢信仰之基”为题", "为题", "wei2 ti2"),
    ("让我们更加紧密地团结在以习近平同志为核心的党中央周围", "为核心", "wei2 he2 xin1"),
    ("我们将坚持以习近平新时代中国特色社会主义思想为指导", "为指导", "wei2 zhi2 dao3"),
    ("以改革创新为动力", "为动力", "wei2 dong4 li4"),
    ("以数字化转型为牵引", "为牵引", "wei2 qian1 yin3"),
    ("必须坚持以人民为中心的创作导向", "为中心", "wei2 zhong1 xin1"),
    # 以 means "with" here, and 为 is "for": wèi.
    ("以优异成绩为机关高质量发展作出新的更大贡献", "为机关", "wei4 ji1 guan1"),
    ("在服务基层、服务群众中践行初心使命", "服务", "fu2 wu4"),
]


@pytest.mark.parametrize(("sentence", "span", "expected"), WEI)
def test_wei(sentence: str, span: str, expected: str) -> None:
    assert syllables_of(sentence, span) == expected


YI_BU = [
    ("也是三年新冠疫情防控转段后经济恢复发展的一年", "一年", "yi4 nian2"),
    ("推行“一件事一次办”", "一件事一次", "yi2 jian4 shi4 yi2 ci4"),
    ("是实现“十四五”规划目标任务的关键一年", "一年", "yi4 nian2"),
    ("科技创新能力不够强", "不够", "bu2 gou4"),
    ("经济持续回升向好的基础还不稳固", "不稳", "bu4 wen3"),
]


@pytest.mark.parametrize(("sentence", "span", "expected"), YI_BU)
def test_yi_bu(sentence: str, span: str, expected: str) -> None:
    assert syllables_of(sentence, span) == expected


def test_yi_keeps_first_tone_in_numbers_ordinals_and_word_ends() -> None:
    assert syllables_of("一九四九年", "一九") == "yi1 jiu3"
    assert syllables_of("第一", "第一") == "di4 yi1"
    assert syllables_of("统一思想", "统一") == "tong3 yi1"
    assert syllables_of("一月一日", "一月一日") == "yi1 yue4 yi1 ri4"


def test_lexicon_pinyin_and_han_readings() -> None:
    lexicon = parse_lexicon("为核心=wei2 he2 xin1\n行长=航掌\n", "test")
    assert syllables_of("以他为核心", "为核心", lexicon) == "wei2 he2 xin1"
    assert syllables_of("银行行长", "行长", lexicon) == "hang2 zhang3"
    # A pinyin rule is a reading decision: text engines see the word unchanged.
    assert lexicon.apply("以他为核心") == "以他为核心"


def test_lexicon_pinyin_rule_needs_one_syllable_per_character() -> None:
    with pytest.raises(ConfigError, match=r"lexicon t:1: 为核心 has 3 characters but 2 syllables"):
        parse_lexicon("为核心=wei2 he2\n", "t")
    assert parse_lexicon("绿色=LÜ4 se4", "t").mapping == {"绿色": "lv4 se4"}
