"""Unit tests of audiopack.speech.sentences: exact spoken forms, splitting, chunking."""

from __future__ import annotations

import pytest

from audiopack.speech.lexicon import Lexicon
from audiopack.speech.sentences import (
    SpeechOptions,
    SpeechSentence,
    chunk,
    speech_sentences,
    split_sentences,
    to_speech,
)

ON = SpeechOptions()
OFF = SpeechOptions(numbers=False)
BARE = SpeechOptions(lexicon=Lexicon())


# ----------------------------------------------------------------------------- placeholders


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("推进*高质量发展", "推进某高质量发展"),
        ("＊同志", "某同志"),
        ("**书记", "某某书记"),
        ("××同志", "某某同志"),
        ("×××单位", "某某单位"),
        ("XXX同志和xxx同志", "某某同志和某某同志"),
        ("○○市", "某某市"),
        ("〇〇同志", "某某同志"),
        ("二〇二四年", "二零二四年"),  # 〇 and ○ as zeros are not placeholders
        ("二〇〇八年", "二零零八年"),
        ("二○○八年", "二零零八年"),
    ],
)
def test_placeholders(text: str, spoken: str) -> None:
    assert to_speech(text, ON) == spoken


def test_placeholder_inside_english_word_is_text() -> None:
    assert to_speech("Xbox和XXL", ON) == "Xbox和XXL"


def test_placeholder_options() -> None:
    assert to_speech("**同志", SpeechOptions(placeholder="")) == "同志"
    assert to_speech("×同志", SpeechOptions(placeholder="某人")) == "某人同志"
    assert to_speech("××同志", SpeechOptions(placeholder="甲")) == "甲甲同志"


def test_product_sign_is_not_a_placeholder() -> None:
    assert to_speech("3×4", ON) == "三乘四"


# ------------------------------------------------------------------------ symbols and markup


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("<speak>你好</speak>", "speak你好speak"),
        ("A&amp;B公司", "A B公司"),
        ("你好😀世界", "你好世界"),
        ("你\u200b好\x07", "你好"),
        ("😀", ""),
        ("。", ""),
        ("“”", ""),
        ("（😀）", ""),
        ("【重要】通知", "（重要）通知"),
        ("你好 世界", "你好世界"),
        ("hello  world", "hello world"),
        ("C++语言", "C加加语言"),
    ],
)
def test_symbols(text: str, spoken: str) -> None:
    assert to_speech(text, ON) == spoken


def test_never_ssml() -> None:
    spoken = to_speech('<speak><prosody rate="fast">快</prosody></speak>', ON)
    assert "<" not in spoken and ">" not in spoken and "=" not in spoken


# ------------------------------------------------------------------------------ punctuation


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("好，，吧", "好，吧"),
        ("好。。。", "好。"),
        ("好！！！", "好！"),
        ("好，。", "好。"),
        ("好。，吧", "好。吧"),
        ("好、，吧", "好，吧"),
        ("好？！", "好？"),
        ("。，开头", "开头"),
        ("……开头", "开头"),
        ("你好,世界", "你好，世界"),
        ("你好.世界", "你好。世界"),
        ("你好;世界", "你好；世界"),
        ("你好:世界", "你好：世界"),
        ("你好!", "你好！"),
        ("你好?", "你好？"),
        ("GDP,增长", "GDP，增长"),
        ("hello, world", "hello, world"),
        ("等等...", "等等……"),
        ("“你好”", "“你好”"),
        ("《规划》（草案）", "《规划》（草案）"),
        ("他说：“好！”", "他说：“好！”"),
    ],
)
def test_punctuation(text: str, spoken: str) -> None:
    assert to_speech(text, ON) == spoken


# ---------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("70", "七十"),
        ("共70个", "共七十个"),
        ("100", "一百"),
        ("10", "十"),
        ("15", "十五"),
        ("10005人", "一万零五人"),
        ("2023年", "二零二三年"),
        ("2024年01月05日", "二零二四年一月五日"),
        ("过去10年", "过去十年"),
        ("90年代", "九十年代"),
        ("3.5%", "百分之三点五"),
        ("GDP增长5.2%", "GDP增长百分之五点二"),
        ("第10项", "第十项"),
        ("3.14", "三点一四"),
        ("1,000", "一千"),
        ("1,234.5", "一千二百三十四点五"),
        ("1,2,3", "一，二，三"),
        ("2024-01-05", "二零二四年一月五日"),
        ("2024/1/5", "二零二四年一月五日"),
        ("2024.1.5", "二零二四年一月五日"),
        ("2024-01", "二零二四年一月"),
        ("3-5", "三到五"),
        ("3~5", "三到五"),
        ("3—5", "三到五"),
        ("3%-5%", "百分之三到百分之五"),
        ("2020-2025年", "二零二零到二零二五年"),
        ("-3℃", "零下三摄氏度"),
        ("−3℃", "零下三摄氏度"),
        ("25℃", "二十五摄氏度"),
        ("-3", "负三"),
        ("10:30", "十点三十分"),
        ("8:05", "八点零五分"),
        ("12:00", "十二点"),
        ("3:1", "三比一"),
        ("13812345678", "一三八一二三四五六七八"),
        ("010-12345678", "零一零一二三四五六七八"),
        ("007", "零零七"),
        ("1/3", "三分之一"),
        ("2个", "两个"),
        ("2000人", "两千人"),
        ("12个", "十二个"),
        ("第2名", "第二名"),
        ("2‰", "千分之二"),
        ("¥100万", "一百万元"),
        ("1.2.3版", "一点二点三版"),
        ("100km²", "一百平方公里"),
        ("３．５％", "百分之三点五"),
        ("3.14159265358979323846", "三点一四一五九二六五三五八九七九三二三八四六"),
        ("123456789012345678901", "一二三四五六七八九零一二三四五六七八九零一"),
    ],
)
def test_numbers_on(text: str, spoken: str) -> None:
    assert to_speech(text, BARE) == spoken


@pytest.mark.parametrize("text", ["5G网络", "COVID-19疫情", "A4纸", "v2版本", "3D打印"])
def test_latin_with_digits_kept_for_the_neural_voices(text: str) -> None:
    assert to_speech(text, OFF) == text


@pytest.mark.parametrize(
    ("text", "spoken"),
    [("5G网络", "五G网络"), ("A4纸", "A四纸"), ("v2版本", "v二版本"), ("3D打印", "三D打印")],
)
def test_latin_with_digits_read_offline(text: str, spoken: str) -> None:
    assert to_speech(text, ON) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("70", "70"),
        ("3.5%", "3.5%"),
        ("10:30", "10:30"),
        ("1,000", "1,000"),
        ("2024-01-05", "2024年1月5日"),
        ("2024/1/5", "2024年1月5日"),
        ("-3℃", "零下3℃"),
        ("−3℃", "零下3℃"),
        ("-5%", "-5%"),
        ("3~5", "3到5"),
        ("推进*高质量发展", "推进某高质量发展"),
        ("2‰", "千分之2"),
    ],
)
def test_numbers_off(text: str, spoken: str) -> None:
    assert to_speech(text, OFF) == spoken


def test_cn2an_failure_falls_back_to_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    import cn2an

    def boom(*_args: object, **_kwargs: object) -> str:
        raise ValueError("boom")

    monkeypatch.setattr(cn2an, "transform", boom)
    monkeypatch.setattr(cn2an, "an2cn", boom)
    assert to_speech("共70个，增长3.5%", BARE) == "共七零个，增长百分之三点五"
    assert to_speech("2024-01-05", BARE) == "二零二四年一月五日"


def test_lexicon_applied_last() -> None:
    assert to_speech("按时还款", ON) == "按时环款"
    assert to_speech("按时还款", BARE) == "按时还款"
    assert to_speech("按时还款", OFF) == "按时环款"


# ------------------------------------------------------------------------- split_sentences


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", []),
        ("你好", ["你好"]),
        ("你好。世界！", ["你好。", "世界！"]),
        ("真的吗？是的。", ["真的吗？", "是的。"]),
        ("第一；第二", ["第一；", "第二"]),
        ("Yes! No? A;B", ["Yes! ", "No? ", "A;", "B"]),
        ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),
        ("（完。）下面", ["（完。）", "下面"]),
        ("「好！」』下", ["「好！」』", "下"]),
        ("等等……然后", ["等等……", "然后"]),
        ("好！！！再见。。", ["好！！！", "再见。。"]),
        ("第一行\n第二行", ["第一行\n", "第二行"]),
        ("第一行\r\n\r\n第二行", ["第一行\r\n\r\n", "第二行"]),
        ("你好。 世界。 ", ["你好。 ", "世界。 "]),
        ("\n\n你好", ["\n\n你好"]),
        ("   ", ["   "]),
        ("3.5亿元", ["3.5亿元"]),
    ],
)
def test_split_sentences(text: str, parts: list[str]) -> None:
    assert split_sentences(text) == parts
    assert "".join(parts) == text


# ------------------------------------------------------------------------- speech_sentences


def test_speech_sentences_basic() -> None:
    result = speech_sentences("推进*发展。增长3.5%！😀", ON)
    assert result == (
        SpeechSentence("推进*发展。", "推进某发展。"),
        SpeechSentence("增长3.5%！", "增长百分之三点五！"),
        SpeechSentence("😀", ""),
    )


def test_long_sentence_split_at_commas() -> None:
    text = "我们要坚持稳中求进，" * 6 + "推动高质量发展。"
    result = speech_sentences(text, BARE, max_chars=25)
    assert "".join(s.display for s in result) == text
    assert all(len(s.spoken) <= 25 for s in result)
    assert all(s.display.endswith(("，", "。")) for s in result)
    assert len(result) > 1


def test_long_clause_split_at_word_boundaries() -> None:
    text = "全面贯彻落实党的二十大精神深入推进中国式现代化建设不断增强人民群众获得感幸福感安全感"
    result = speech_sentences(text, BARE, max_chars=10)
    assert "".join(s.display for s in result) == text
    assert all(len(s.spoken) <= 10 for s in result)
    import jieba

    words = jieba.Tokenizer().lcut(text)
    bounds = set()
    position = 0
    for word in words:
        position += len(word)
        bounds.add(position)
    position = 0
    for sentence in result[:-1]:
        position += len(sentence.display)
        assert position in bounds, sentence


def test_long_sentence_never_cuts_numbers() -> None:
    text = "会议定于2024-01-05上午10:30召开增长3.5%请准时参加不要迟到"
    result = speech_sentences(text, BARE, max_chars=12)
    displays = [s.display for s in result]
    assert "".join(displays) == text
    assert all(len(s.spoken) <= 12 for s in result)
    assert any("2024-01-05" in d for d in displays)
    assert any("10:30" in d for d in displays)
    assert any("3.5%" in d for d in displays)


def test_speech_sentences_rejects_bad_max() -> None:
    with pytest.raises(ValueError):
        speech_sentences("你好", ON, max_chars=0)


# ------------------------------------------------------------------------------------ chunk


def _s(spoken: str) -> SpeechSentence:
    return SpeechSentence(spoken, spoken)


def test_chunk_groups_in_order() -> None:
    sentences = [_s("一" * 4), _s("二" * 4), _s("三" * 3), _s(""), _s("四" * 6)]
    groups = chunk(sentences, max_chars=8)
    assert [[s.spoken for s in g] for g in groups] == [
        ["一" * 4, "二" * 4],
        ["三" * 3, ""],
        ["四" * 6],
    ]


def test_chunk_oversized_sentence_alone() -> None:
    groups = chunk([_s("一"), _s("二" * 10), _s("三")], max_chars=5)
    assert [[s.spoken for s in g] for g in groups] == [["一"], ["二" * 10], ["三"]]


def test_chunk_empty() -> None:
    assert chunk([]) == []


# ---------------------------------------------------------------------- with the real eSpeak


def test_espeak_reads_converted_placeholder_sentence() -> None:
    pytest.importorskip("espeakng_loader")
    from audiopack.engines.espeak import EspeakEngine
    from audiopack.model import SAMPLE_RATE

    engine = EspeakEngine()
    spoken = to_speech("请**同志于2024-01-05上午10:30到会，增长3.5%。", ON)
    assert spoken == "请某某同志于二零二四年一月五日上午十点三十分到会，增长百分之三点五。"
    audio = engine.synthesize_blocking([spoken, to_speech("推进*高质量发展", ON)])
    assert len(audio.sentences) == 2
    first, second = audio.sentences
    seconds = (first.end_frame - first.start_frame) / SAMPLE_RATE
    # ~30 syllables at ~175 wpm: a few seconds, not silence and not spelled-out symbols.
    assert 3.0 < seconds < 15.0, seconds
    short = (second.end_frame - second.start_frame) / SAMPLE_RATE
    assert 0.8 < short < 4.0, short
    # The placeholder is read as a syllable, not as "asterisk" in English (which is longer).
    raw = engine.synthesize_blocking(["推进*高质量发展"]).frames / SAMPLE_RATE
    assert short < raw


def test_character_classes_match_their_definitions() -> None:
    """The code-point tests stand for these classes (Han incl. extensions B-G, 〇, CJK
    compatibility; ASCII letters and digits; Latin-1 and Latin Extended letters)."""
    import re

    from audiopack.speech import sentences as speech

    han = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007\U00020000-\U0003134f"
    latin = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
    word = re.compile(f"[{han}A-Za-z0-9{latin}]")
    speakable = re.compile(f"[{han}A-Za-z0-9{latin}{re.escape(speech.SPEAKABLE_PUNCTUATION)}]")
    cjk_side = re.compile(f"[{han}，。！？；：、“”‘’《》（）…—]")
    for code in range(0x32000):
        ch = chr(code)
        assert speech._is_word_char(ch) == bool(word.fullmatch(ch)), hex(code)
        assert speech._is_speakable(ch) == bool(speakable.fullmatch(ch)), hex(code)
        assert speech._is_cjk_side(ch) == bool(cjk_side.fullmatch(ch)), hex(code)
    assert not speech._is_cjk_side("") and not speech._is_cjk_side("中文")
