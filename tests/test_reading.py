"""The reading layer: toned pinyin decisions for sentences of real published texts.

Sentences come from the texts of tests/corpus (sources in their .expected.json files).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopack.errors import ConfigError
from audiopack.speech.lexicon import Lexicon, builtin_lexicon, parse_lexicon
from audiopack.speech.reading import Reading, Token, read
from audiopack.speech.sentences import SpeechOptions, speech_sentences

CORPUS = Path(__file__).parent / "corpus"


def syllables_of(sentence: str, span: str, lexicon: Lexicon | None = None) -> str:
    """The syllables an offline engine is given for ``span`` in ``sentence`` (after the
    speech text's normalisation: numbers read out, as in a build)."""
    options = SpeechOptions(lexicon=lexicon or builtin_lexicon(), input_form="pinyin")
    han: list[str] = []
    syllables: list[str] = []
    for piece in speech_sentences(sentence, options):
        reading = read(piece.spoken, options.lexicon)
        han += [t.text for t in reading.tokens if t.pinyin is not None]
        syllables += [t.pinyin for t in reading.tokens if t.pinyin is not None]
        assert reading.as_text() == piece.reading
    start = "".join(han).index(span)
    return " ".join(syllables[start : start + len(span)])


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


#: One real sentence per rule (tests/reading/sentences.jsonl and tests/corpus): the span and
#: the syllables a careful reader says there.
RULES = [
    # 为 wéi before a bare quantity, wèi when the clause goes on; X为 words; 而为
    ("城镇调查失业率平均为4.2%。", "为", "wei2"),
    ("以长协价为24个省份保供电煤20亿吨。", "为", "wei4"),
    ("支持基础好、潜力大的县城成长为中小城市。", "成长为", "cheng2 zhang3 wei2"),
    ("事故均为责任事故。", "均为", "jun1 wei2"),
    ("必须乘势而为、自我加压。", "而为", "er2 wei2"),
    ("我们确立了按劳分配为主体、多种分配方式并存的分配制度。", "为主体", "wei2 zhu2 ti3"),
    # 地 de after a modifier before the verb, after reduplications; the noun dì elsewhere
    ("应该很彻底地清算这种影响，很虚心地学习马克思列宁主义。", "虚心地学", "xu1 xin1 de5 xue2"),
    ("他们辛辛苦苦地写了", "辛辛苦苦地", "xin1 xin1 ku2 ku3 de5"),
    ("重点支持集中连片特困地区每个地（市、州、盟）原则上至少建设一所", "每个地", "mei3 ge4 di4"),
    # 得 de after a verb
    ("5位同志作了发言，讲得都很好。", "讲得", "jiang3 de5"),
    ("做到关键时刻调得出、用得上。", "调得出", "diao4 de5 chu1"),
    # 只 zhī after a numeral
    ("汽车号牌每副两只，分别悬挂在车辆前后部。", "两只", "liang3 zhi1"),
    # 处 chǔ before 在/于
    ("改革发展正处在攻坚克难的重要阶段。", "处在", "chu3 zai4"),
    # 重 chóng in 重X verbs, 长 cháng at a word's start and after 最/全
    ("重塑农业领域精细化管理机制，堵住项目建设漏洞。", "重塑", "chong2 su4"),
    ("重构政府招标采购流程体系和招商引资新机制。", "重构", "chong2 gou4"),
    ("扣除期限最长不超过240个月。", "最长", "zui4 chang2"),
    # 应 yìng before …请求; 藏 zàng for Tibet
    ("值此危急关头，应朝鲜党和政府请求，中国党和政府作出历史性决策。", "应", "ying4"),
    ("特别应注意西藏中东部至川、滇、藏、青交界一带。", "藏", "zang4"),
    # 场 chǎng as a measure word; 当年 dàng nián "that same year"; 长 cháng "length"; 朝阳
    ("向世界奉献了一场“中国特色、亚洲风采、精彩纷呈”的体育文化盛会。", "一场", "yi4 chang3"),
    ("在取得相关证书的当年，按照3600元定额扣除", "当年", "dang4 nian2"),
    ("旗面为红色，长方形，其长与高为三与二之比", "其长", "qi2 chang2"),
    ("我市历史悠久、文脉绵长", "绵长", "mian2 chang2"),
    ("支持大连、朝阳创建国家历史文化名城。", "朝阳", "chao2 yang2"),
    # 处 of a noun before 在 stays chù; 重重地 "heavily"
    ("现在来分析一下党八股的坏处在什么地方", "坏处在", "huai4 chu4 zai4"),
    ("说理的首先一个方法，就是重重地给患病者一个刺激", "重重地", "zhong4 zhong4 de5"),
    # tone changes: 一 by the next tone, 不 before a fourth tone, third tone in a word
    ("一方面，要继续全面加强防控。", "一方面", "yi4 fang1 mian4"),
    ("产业升级和经济结构调整不断加快。", "不断", "bu2 duan4"),
    ("只有在中国共产党领导下", "领导下", "ling2 dao3 xia4"),
]


@pytest.mark.parametrize(("sentence", "span", "expected"), RULES)
def test_rules(sentence: str, span: str, expected: str) -> None:
    assert syllables_of(sentence, span) == expected


def test_lexicon_characters_get_tone_changes_pinyin_does_not() -> None:
    lexicon = parse_lexicon("展览=zhan3 lan3\n", "t")
    assert syllables_of("展览", "展览", lexicon) == "zhan3 lan3"  # as written
    lexicon = parse_lexicon("展览=展览\n", "t")
    assert syllables_of("展览", "展览", lexicon) == "zhan2 lan3"


def _pinyin(text: str) -> list[str]:
    from audiopack.speech.lexicon import builtin_lexicon
    from audiopack.speech.reading import read

    return [t.pinyin for t in read(text, builtin_lexicon()).tokens if t.pinyin]


def test_yi_as_a_digit_of_a_decimal_or_a_number_keeps_its_first_tone() -> None:
    """Real sentences (as the number reader speaks them): 生态环境部's monthly air-quality
    notice "同比上升1.5个百分点"; 临汾's "PM2.5浓度35.1微克/立方米"; a history text's
    "第一架飞机——冯如一号". The idiom 一点一滴 and "a little" (学一点) keep their tone changes."""
    assert _pinyin("同比上升一点五个百分点")[4:7] == ["yi1", "dian3", "wu3"]
    assert _pinyin("浓度三十五点一微克每立方米")[5:8] == ["dian3", "yi1", "wei1"]
    assert _pinyin("冯如一号")[2:] == ["yi1", "hao4"]
    assert _pinyin("一点一滴") == ["yi4", "dian3", "yi4", "di1"]
    assert _pinyin("多学一点")[2:] == ["yi4", "dian3"]


def test_di_after_a_degree_adverb_is_the_particle() -> None:
    """ "将更大地发挥…作用" (a news report's wording, QA's set of unseen sentences): jieba cuts
    更|大地, but 地 after 更大/最大 is the particle de; the earth (的大地) stays dì."""
    assert _pinyin("将更大地发挥作用")[2:4] == ["da4", "de5"]
    assert _pinyin("最大地激发活力")[:3] == ["zui4", "da4", "de5"]
    assert _pinyin("养育我们的大地")[-2:] == ["da4", "di4"]
