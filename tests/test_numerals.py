"""Numbers, codes and symbols read as a Mandarin reader says them, on sentences of real texts.

Every sentence below is quoted from a published text; its source is given beside it (a search
result of the stored public pages, the address as found). The reading test set's ``speech``
spans (tests/reading/sentences.jsonl, sources in tests/reading/SOURCES.md) are checked here too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiopack.speech.lexicon import Lexicon
from audiopack.speech.sentences import SpeechOptions, to_speech

OFFLINE = SpeechOptions(lexicon=Lexicon())
EDGE = SpeechOptions(numbers=False, lexicon=Lexicon())
READING_SET = Path(__file__).parent / "reading" / "sentences.jsonl"

# Sources (searched and read in the stored public pages):
GOV2024 = "2024年政府工作报告, via jmypl.com/xw/gnyw/2024-03/05/content_6079539.html"
GOV2023 = "2023年政府工作报告 (李克强), via czybx.com/redian/209133.html"
MEE2020 = (
    "生态环境部通报 2019—2020年秋冬季, via athenaoem.com.cn/tech/2020-04/24/content_41134007.htm"
)
NBS2022 = "国家统计局 2022年人口数据 (中新网), via m.hg87897.com/hnnew/2023-01-17/666816.html"
ZZ720 = "郑州“7·20”特大暴雨 (百科条目), via tianhewen.com/answer/156387.html"
CARBON = "许勤华访谈 (经济学家圈), via 8a9v.com/article-20316-1.html"
AIPLUS = "星岛 两会2026, via stheadline.com/zh-hans/realtime-china/3550247"
C919 = "今日热点网 2024-03-05 李养民提案, via m.czhtech.com/gd/2024/0305/482837.html"
JJG1980 = "国家计委 计价格[2002]1980号, via zjtcn.com/zhishi/zbwj1980hw and cidian.kuaisou.com"
DONGYANG = (
    "东阳市人民政府办公室 2023-03-21 通知, "
    "dongyang.gov.cn/art/2023/3/21/art_1229692327_59603057.html"
)
HANZHENG = (
    "韩正《到二〇三五年基本实现社会主义现代化远景目标》, "
    "via zidonghua.com.cn/news/xijinpingthought/42088.html"
)
RMLT = (
    "人民论坛 2021-05-13《2035远景目标：新的历史方位与新的时代使命》, "
    "rmlt.com.cn/2021/0513/613862.shtml"
)
FUSHUN = "抚顺市12345热线办 公告, 12345.fushun.gov.cn/gzdt/20180810/… and /20190909/…"
HENGYANG = "衡阳市交通运输局 公告 2020-02-03, via m.senbk.com/news/492141.html"
XINHUA2018 = (
    "新华网 2018-01-26 北京社会劳动生产率, via news.cnhan.com/html/shizheng/20180126/909141.htm"
)
CRH = (
    "复兴号 (科普), "
    "via m.path411.com/jxuwd/202602/2376535.html and sichuanlong.com/d/111914462392022.html"
)
FUXING = "复兴号 (期刊摘要), via scholarmate.com/S/34lB5A"
WIKIBOOKS = "交通部署案例集/2019/中国高速铁路网, wikibooks.cn"
CORPUS = "tests/corpus (sources in tests/corpus/SOURCES.md)"
REPORTIFY = (
    "投资界 2025-12-23《一代工业强国走向衰落》摘要, "
    "via staging.reportify.cn/tags/product?tagValue=C909"
)

SENTENCES: list[tuple[str, str, list[str], str]] = [
    # (source, sentence, readings the offline speech text must contain, what must not be said)
    (GOV2024, "国内生产总值超过126万亿元，增长5.2%，增速居世界主要经济体前列。",
     ["一百二十六万亿元", "增长百分之五点二"], "两"),
    (GOV2023, "财政收入增加到20.4万亿元。粮食产量连年稳定在1.3万亿斤以上。",
     ["二十点四万亿元", "一点三万亿斤"], "两"),
    (MEE2020, "京津冀及周边地区“2+26”城市PM2.5平均浓度为70微克/立方米，同比下降13.6%。",
     ["“二加二十六”城市", "PM二点五", "七十微克每立方米", "百分之十三点六"], ""),
    (MEE2020, "22日，生态环境部通报了重点区域2019—2020年秋冬季环境空气质量目标完成情况。",
     ["二十二日", "二零一九到二零二零年秋冬季"], ""),
    (MEE2020, "2019年10月—2020年3月，重点区域环境空气质量同比改善。",
     ["二零一九年十月到二零二零年三月"], "——"),
    (NBS2022, "全年出生人口956万人，人口出生率为6.77‰；死亡人口1041万人，人口死亡率为7.37‰；"
              "人口自然增长率为-0.60‰。",
     ["千分之六点七七", "千分之七点三七", "负千分之零点六零"], ""),
    (ZZ720, "2022年1月21日，河南郑州“7·20”特大暴雨灾害调查报告公布。",
     ["二零二二年一月二十一日", "“七二零”"], "七·"),
    (ZZ720, "郑州城区局地最大小时降雨量达120~201.9毫米（20日16~17时）",
     ["一百二十到二百零一点九毫米", "十六到十七时"], ""),
    (ZZ720, "省防指决定凌晨3时将防汛应急响应级别由Ⅱ级提升为Ⅰ级。",
     ["凌晨三时", "由二级提升为一级"], ""),
    (CARBON, "我们必将兑现我们对世界的承诺，提前完成“30·60”双碳目标。", ["“三零六零”双碳"], "三十"),
    (AIPLUS, "今年的《政府工作报告》还首次提出「打造智能经济新形态」，深化拓展「人工智能+」。",
     ["“人工智能加”"], ""),
    (C919, "2023年5月28日，东航作为全球首发用户，将首架交付的C919国产大飞机投入商业运营。",
     ["二零二三年五月二十八日", "C九一九国产大飞机"], "百"),
    (C919, "截至2023年底，东航C919机队累计飞行1956.16小时，累计承运旅客81,668人次。",
     ["二零二三年底", "一千九百五十六点一六小时", "八万一千六百六十八人次"], ""),
    (JJG1980, "《招标代理服务收费管理暂行办法》由国家发展计划委员会于2002年10月15日发布，"
              "文号为计价格[2002]1980号。",
     ["二零零二年十月十五日", "文号为计价格二零零二一九八零号"], "千"),
    (JJG1980, "根据《国家计委、财政部关于整顿招标投标收费的通知》（计价格[ 2002]520号）规定，"
              "实行由中标人付费的机电设备招标代理服务，可暂按现行有关规定执行。",
     ["计价格二零零二五百二十号"], ""),
    (DONGYANG, "为贯彻落实《浙江省人民政府办公厅关于印发〈浙江省促进残疾人就业行动方案"
               "（2022—2025年）〉的通知》（浙政办发〔2022〕59号）精神，制定本实施方案。",
     ["二零二二到二零二五年", "浙政办发二零二二五十九号"], ""),
    (DONGYANG, "到2025年，全市新增残疾人就业800人以上，组织开展残疾人职业技能培训1300人次以上。",
     ["到二零二五年", "八百人以上", "一千三百人次"], ""),
    (HANZHENG, "《中共中央关于制定国民经济和社会发展第十四个五年规划和二〇三五年远景目标的建议》",
     ["二零三五年远景目标"], ""),
    (RMLT, "2035远景目标：新的历史方位与新的时代使命", ["二零三五远景目标"], "千"),
    (RMLT, "所谓“小三步战略”，即从“温饱”到“小康”再到“全面小康”[14]，其中，“温饱问题”已经在"
           "20世纪80年代末解决，“人民生活达到小康水平”已经在1995年提前实现。",
     ["“全面小康”，其中", "二十世纪八十年代末", "一九九五年"], "十四"),
    (REPORTIFY, "劳动力缺口高达200万，且未来十年将有2000万劳工退休，仅能补充1250万[7]",
     ["二百万", "两千万劳工", "一千二百五十万"], "七"),
    (FUSHUN, "根据工作安排市文化旅游发展促进中心领导将于9月10日上午接听“8890”热线群众来电。",
     ["九月十日", "“八八九零”热线"], "千"),
    (FUSHUN, "2018年8月13日 上午9:00至10:00", ["二零一八年八月十三日上午九点至十点"], ""),
    (FUSHUN, "由“12345”热线受理后转派顺城区人民政府处理。", ["“一二三四五”热线"], "万"),
    (FUSHUN, "12345政府综合服务热线管理办公室", ["一二三四五政府综合服务热线"], "万"),
    (XINHUA2018, "在2017年社会劳动生产率22万元/人的基础上，力争2018年将这一数字提升至22.5万元/人。",
     ["二零一七年", "二十二万元每人", "二十二点五万元每人"], ""),
    (CRH, "高铁线路设计时速通常为250km/h至350km/h，"
          "而部分新型列车如“复兴号”更实现了350km/h的持续运行。",
     ["二百五十公里每小时至三百五十公里每小时", "三百五十公里每小时的持续运行"], ""),
    (CRH, "成渝高铁是连接四川省成都市与重庆市的一条高速铁路，设计时速350 km/h。",
     ["设计时速三百五十公里每小时"], ""),
    (CRH, "京沪高铁是北京至上海的高铁线路，设计时速为380千米/小时。", ["三百八十千米每小时"], ""),
    (FUXING, "12月31日，国家主席习近平在二〇一八年新年贺词中讲道：“复兴号奔驰在祖国广袤的大地上。”",
     ["十二月三十一日", "在二零一八年新年贺词"], "〇"),
    (WIKIBOOKS, "这些好处包括[1]", ["这些好处包括"], "一"),
    (CORPUS, "三次产业比重为4.0∶37.7∶58.3，第一产业增加值提升至全国第二。",  # 27_guangdong_baogao
     ["四点零比三十七点七比五十八点三"], ""),
    (CORPUS, "〔1〕 凯丰（一九○六——一九五五），又名何克全，江西萍乡人。",  # 29_fandui_dangbagu
     ["凯丰（一九零六到一九五五）"], "——"),
    (CORPUS, "〔6〕见本书第一卷《论反对日本帝国主义的策略》注〔24〕。",  # 14_zhengdun_zuofeng
     ["策略》注（二十四）"], "六"),
    # 13_wei_renmin_fuwu
    (CORPUS, "张思德⑴同志就是我们这个队伍中的一个同志。", ["张思德同志"], "张思德一"),
    (CORPUS, "还需要团结他们一道抗日(34)。", ["一道抗日。"], "三十四"),  # 12_geming_dongli
    (CORPUS, "国考断面水质优良率提高到94.6%、全部达到Ⅳ类及以上。",  # 27_guangdong_baogao
     ["全部达到四类及以上"], ""),
    (CORPUS, "一九四○年毛泽东写信给中央军委总政治部宣传部长萧向荣。", ["一九四零年"], "○"),
    (HENGYANG, "来电请至：0734-8868382，来信请寄：衡阳市华新开发区解放大道27号"
               "衡阳市交通运输局信访办公室。",
     ["零七三四八八六八三八二", "解放大道二十七号"], ""),
]  # fmt: skip


@pytest.mark.parametrize(("source", "text", "readings", "never"), SENTENCES)
def test_real_sentences_offline(source: str, text: str, readings: list[str], never: str) -> None:
    spoken = to_speech(text, OFFLINE)
    for reading in readings:
        assert reading in spoken, (source, spoken)
    assert not never or never not in spoken, (source, spoken)
    assert not re.search(r"\d", spoken), spoken


EDGE_SENTENCES: list[tuple[str, str, list[str]]] = [
    # Text-level readings the neural voices get too; their own numbers stay digits.
    (JJG1980, "文号为计价格[2002]1980号。", ["计价格二零零二一九八零号"]),
    (DONGYANG, "（浙政办发〔2022〕59号）精神", ["浙政办发二零二二五十九号"]),
    (ZZ720, "河南郑州“7·20”特大暴雨灾害调查报告公布。", ["“七二零”"]),
    (CARBON, "提前完成“30·60”双碳目标", ["“三零六零”"]),
    (FUSHUN, "接听“8890”热线群众来电", ["“八八九零”热线"]),
    (MEE2020, "“2+26”城市PM2.5平均浓度为70微克/立方米", ["“2加26”", "PM2.5", "70微克每立方米"]),
    (AIPLUS, "深化拓展「人工智能+」", ["“人工智能加”"]),
    (ZZ720, "由Ⅱ级提升为Ⅰ级", ["由二级提升为一级"]),
    (C919, "将首架交付的C919国产大飞机投入商业运营", ["C九一九"]),
    (RMLT, "再到“全面小康”[14]，其中", ["“全面小康”，其中"]),
    (REPORTIFY, "仅能补充1250万[7]", ["仅能补充1250万"]),
    (HANZHENG, "第十四个五年规划和二〇三五年远景目标的建议", ["二零三五年"]),
]  # fmt: skip


@pytest.mark.parametrize(("source", "text", "readings"), EDGE_SENTENCES)
def test_text_level_readings_for_every_engine(source: str, text: str, readings: list[str]) -> None:
    spoken = to_speech(text, EDGE)
    for reading in readings:
        assert reading in spoken, (source, spoken)


def _speech_spans() -> list[tuple[str, str, str]]:
    spans = []
    for line in READING_SET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            spans += [(entry["text"], s["text"], s["speech"]) for s in entry["speech"]]
    return spans


_QUOTES = str.maketrans("", "", "“”‘’「」")


@pytest.mark.parametrize(("text", "span", "speech"), _speech_spans(), ids=lambda v: v[:16])
def test_reading_set_speech(text: str, span: str, speech: str) -> None:
    # Quote marks are not spoken: the set writes a quoted code's reading without them.
    spoken = to_speech(text, OFFLINE).translate(_QUOTES)
    assert speech.translate(_QUOTES) in spoken, spoken


def test_reading_set_has_speech_spans() -> None:
    assert len(_speech_spans()) >= 100


# ------------------------------------------------------------------------------ properties

PIECES = [
    "2023", "年", "二○二三", "〇", "○○", "〔2023〕", "[2002]", "1980号", "国发", "“", "”", "3060",
    "7·20", "C919", "M102", "G7", "5.2", "万亿元", "1/3", "1:3", "3-5", "3～5", "至", "8:30",
    "7.1", "讲话", "13812345678", "/", "人", "立方米", "+", "‰", "℃", "km", "m²", "kg", "%", "Ⅱ",
    "IV", "级", "①", "(21)", "[1]", "〔1〕", "。", "，", "-", "×", "12345", "PM2.5", "0", "2", "个",
]  # fmt: skip
texts = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=25).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=25).map("".join),
)
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(texts)
def test_no_digit_survives_offline(text: str) -> None:
    spoken = to_speech(text, OFFLINE)
    assert not any(ch.isdigit() for ch in spoken), spoken


@PROPERTY
@given(texts, st.booleans())
def test_never_raises(text: str, numbers: bool) -> None:
    spoken = to_speech(text, SpeechOptions(numbers=numbers, lexicon=Lexicon()))
    assert spoken == spoken.strip()
