"""Tests of the pronunciation lexicon: file format, word boundaries, built-in rules."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest
from test_reading import syllables_of

from audiopack.errors import ConfigError
from audiopack.speech.lexicon import Lexicon, builtin_lexicon, parse_lexicon
from audiopack.speech.sentences import SpeechOptions, load_lexicon, to_speech

HANG = Lexicon((("行长", "航掌"),))


def test_rule_applies_on_word_boundaries_only() -> None:
    assert HANG.apply("银行行长") == "银行航掌"
    assert HANG.apply("行长期") == "行长期"  # jieba: 行|长期
    assert HANG.apply("他是行长") == "他是航掌"
    assert HANG.apply("执行长期规划") == "执行长期规划"
    assert HANG.apply("银行行长期待") == "银行航掌期待"


def test_empty_lexicon_and_text() -> None:
    assert Lexicon().apply("银行行长") == "银行行长"
    assert HANG.apply("") == ""


def test_parse_file_format(tmp_path: Path) -> None:
    path = tmp_path / "lex.txt"
    path.write_text(
        "\ufeff# 注释\n\n  行长 = 航掌  \n重庆=崇庆\n# 又一个注释\n重庆=虫庆\n", encoding="utf-8"
    )
    lexicon = load_lexicon(path)
    mapping = lexicon.mapping
    assert mapping["行长"] == "航掌"
    assert mapping["重庆"] == "虫庆"  # later rule wins
    assert mapping["还款"] == "环款"  # built-in rules kept


def test_file_rules_win_over_builtin(tmp_path: Path) -> None:
    path = tmp_path / "lex.txt"
    path.write_text("还款=还钱\n", encoding="utf-8")
    lexicon = load_lexicon(path)
    assert lexicon.apply("按时还款") == "按时还钱"
    assert to_speech("按时还款", SpeechOptions(lexicon=lexicon)) == "按时还钱"


def test_load_none_is_builtin() -> None:
    assert load_lexicon(None) == builtin_lexicon()


@pytest.mark.parametrize("line", ["没有等号", "=读法", "词=", "两 个词=读法"])
def test_malformed_line(tmp_path: Path, line: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(f"# ok\n行长=航掌\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_lexicon(path)
    message = str(info.value)
    assert f"lexicon {path}:3: expected 词=读法, got '{line}'" in message
    assert "\n" not in message


def test_missing_and_non_utf8_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_lexicon(tmp_path / "nope.txt")
    path = tmp_path / "gbk.txt"
    path.write_bytes("行长=航掌\n".encode("gbk"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_lexicon(path)


def test_fingerprint_changes_with_rules() -> None:
    a = Lexicon((("行长", "航掌"),))
    b = Lexicon((("行长", "杭掌"),))
    c = Lexicon((("行长", "航掌"), ("重庆", "崇庆")))
    prints = {a.fingerprint(), b.fingerprint(), c.fingerprint(), Lexicon().fingerprint()}
    assert len(prints) == 4
    assert a.fingerprint() == Lexicon((("行长", "航掌"),)).fingerprint()
    assert len(a.fingerprint()) == 64
    # Order does not matter, content does.
    d = Lexicon((("重庆", "崇庆"), ("行长", "航掌")))
    assert c.fingerprint() == d.fingerprint()


def test_lexicon_is_frozen_and_hashable() -> None:
    lexicon = builtin_lexicon()
    hash(lexicon)
    with pytest.raises(AttributeError):
        lexicon.rules = ()  # type: ignore[misc]


BUILTIN_CASES = [
    ("按时还款", "按时环款"),
    ("以贷还贷", "以贷环贷"),
    ("及时返还", "及时返环"),
    ("完璧送还", "完璧送环"),
    ("处长们", "处掌们"),
    ("副处长", "副处掌"),
    ("连长说", "连掌说"),
    ("检察长", "检察掌"),
    ("重启项目", "崇启项目"),
    ("重整旗鼓", "崇整旗鼓"),
    ("多重因素", "多崇因素"),
    ("干部称职", "干部趁职"),
    ("不称职", "不趁职"),
    ("扮演重要角色", "扮演重要决色"),
    ("落差很大", "落插很大"),
    ("全心全意为人民服务", "全心全意位人民服务"),
]


@pytest.mark.parametrize(("text", "spoken"), BUILTIN_CASES)
def test_builtin_rules(text: str, spoken: str) -> None:
    assert builtin_lexicon().apply(text) == spoken


#: Sentences of real texts (tests/reading/sentences.jsonl) for the rules in pinyin.
PINYIN_CASES = [
    ("形成规范管理的长效机制", "长效", "chang2 xiao4"),
    ("长三角生态绿色一体化发展示范区新推出7项制度创新成果", "长三角", "chang2 san1 jiao3"),
    ("一、元旦：2018年12月30日至2019年1月1日放假调休", "调休", "tiao2 xiu1"),
    ("亚投行迅速行动", "亚投行", "ya4 tou2 hang2"),
    ("提高处理急难险重任务能力", "急难险重", "ji2 nan2 xian3 zhong4"),
    ("城乡居民收入倍差从2.42缩小至2.12", "倍差", "bei4 cha1"),
    ("培育数以万计的产教融合型企业", "数以万计", "shu4 yi3 wan4 ji4"),
    ("两所大学3个学科跻身“双一流”", "一流", "yi1 liu2"),
    ("解决好群众急难愁盼问题", "急难愁盼", "ji2 nan2 chou2 pan4"),
    ("云南省迪庆藏族自治州扎实推进藏区民族团结进步示范区建设", "藏区", "zang4 qu1"),
    ("朝鲜内战爆发", "朝鲜", "chao2 xian3"),
    ("全力推进查干湖治理保护", "查干湖", "cha2 gan1 hu2"),
    ("河西走廊—塔克拉玛干沙漠边缘阻击战完成综合治理", "塔克拉玛干", "ta3 ke4 la1 ma3 gan1"),
    ("对群众基本民生需求尽力而为、应保尽保", "应保尽保", "ying1 bao3 jin4 bao3"),
    ("产能1400万吨/年建成试运转", "运转", "yun4 zhuan3"),
    ("石河子高新技术产业开发区建设国家自主创新示范区", "石河子", "shi2 he2 zi3"),
    ("统筹协调本行政区域内国旗管理有关工作", "本行政区域", "ben3 xing2 zheng4 qu1 yu4"),
    ("新雪季、新雪假火热启航", "雪假", "xue3 jia4"),
    ("职工医保账户资金跨省共济全面铺开。", "铺开", "pu1 kai1"),
    ("以长协价为24个省份保供电煤20亿吨", "长协价", "chang2 xie2 jia4"),
    ("加强对中选药品生产、流通、使用的全链条质量监管", "中选", "zhong4 xuan3"),
    ("荣获“五个一工程”奖", "五个一工程", "wu3 ge4 yi1 gong1 cheng2"),
    ("再次到访内比都，这里依旧宁静祥和", "内比都", "nei4 bi3 du1"),
    ("说明工人应如何为自身的利益而奋斗，载明工人群众的要求", "载明", "zai3 ming2"),
    ("城乡低保补差水平不低于当地上年度城乡低保补差水平", "补差", "bu3 cha1"),
    ("城市群一体化和都市圈同城化存在卡点堵点", "卡点", "qia2 dian3"),
]


@pytest.mark.parametrize(("sentence", "word", "syllables"), PINYIN_CASES)
def test_builtin_pinyin_rules(sentence: str, word: str, syllables: str) -> None:
    assert syllables_of(sentence, word) == syllables
    assert builtin_lexicon().apply(sentence) == sentence  # the text engines see the word


def test_every_builtin_rule_is_tested() -> None:
    tested = "".join(text for text, _ in BUILTIN_CASES)
    tested += "".join(word for _, word, _ in PINYIN_CASES)
    for word, _reading in builtin_lexicon().rules:
        assert word in tested, word


@pytest.mark.parametrize(
    "text", ["重要", "重庆", "还是", "成长期", "增长", "处理", "长期以来", "角度", "行长期"]
)
def test_builtin_leaves_other_words(text: str) -> None:
    assert builtin_lexicon().apply(text) == text


# ---------------------------------------------------------------- against the real eSpeak NG


def _phonemes(text: str) -> str:
    from audiopack.engines.espeak import _Library

    library = _Library.get()
    lib = library.lib
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = [
        ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int
    ]  # fmt: skip
    buffer = ctypes.c_char_p(text.encode("utf-8") + b"\0")
    pointer = ctypes.pointer(buffer)
    out = []
    with _Library._lock:
        lib.espeak_SetVoiceByName(b"cmn")
        while pointer.contents.value:
            out.append((lib.espeak_TextToPhonemes(pointer, 1, 0) or b"").decode())
    return " ".join(out)


@pytest.mark.parametrize(
    ("word", "syllable"),
    [
        ("还款", "ua35n"),  # huán
        ("处长", "A214N"),  # zhǎng
        ("重启", "ong35"),  # chóng
        ("称职", "@51n"),  # chèn
        ("角色", "yE35"),  # jué
        ("为人民服务", "ei51"),  # wèi
    ],
)
def test_builtin_rules_fix_espeak(word: str, syllable: str) -> None:
    pytest.importorskip("espeakng_loader")
    assert syllable not in _phonemes(word), "eSpeak now reads it right: rule may go"
    assert syllable in _phonemes(builtin_lexicon().apply(word))


def test_parse_lexicon_source_in_message() -> None:
    with pytest.raises(ConfigError, match=r"^lexicon x\.txt:1: expected 词=读法"):
        parse_lexicon("oops\n", "x.txt")
