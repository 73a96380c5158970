"""Property tests: parsing never fails unexpectedly and never loses or duplicates text."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiopack.errors import ManuscriptError
from audiopack.model import Manuscript
from audiopack.text.read import markdown_document, normalize_text, read_text, text_document
from audiopack.text.structure import parse, point_title
from audiopack.text.structure.lines import is_date_line

#: Cannot survive normalisation, so a title equal to it was not taken from the text.
SENTINEL = "\x00fallback"

MARKERS = [
    "一、", "二、", "十一、", "（一）", "(二)", "1.", "2、", "3．", "（1）", "(2)", "①", "②",
    "第一部分", "第二部分 ", "第一章", "第三讲　", "第一节", "一要", "二是", "第一，", "首先，",
    "其次,", "最后，", "# ", "## ", "- ", "**",
]  # fmt: skip
SALUTATIONS = ["同志们：", "各位同志：", "同志们、朋友们：", "同志们，", "同志们！", "各位代表，"]
WORDS = [
    "提高认识", "加强领导", "坚定理想信念", "×××", "*书记", "XXX", "2023年", "3.5%",
    "2024-01-05", "“生命线”", "（2024年3月5日）", "——在会议上", "市委书记 李明", "𠮷祥村",
]  # fmt: skip
PUNCT = ["。", "，", "；", "：", "！", "？", "!", "?", ";", ":", "、", "…", "."]
SPACES = [" ", "\u3000", "\u00a0", "\t", "\u200b", "\ufeff", "\x07", "\x1b", "\u2028", "\x0c"]

fragment = st.one_of(
    st.sampled_from(MARKERS + SALUTATIONS + WORDS + PUNCT + SPACES),
    st.text(
        alphabet="的是了在不有一这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞",
        min_size=1,
        max_size=40,
    ),
    st.text(min_size=1, max_size=10),  # anything at all: controls, emoji, combining marks
)
line = st.lists(fragment, min_size=0, max_size=8).map("".join)
separator = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r", "\n\n", "\n \n"])


@st.composite
def manuscripts(draw: st.DrawFn) -> str:
    lines = draw(st.lists(line, min_size=0, max_size=25))
    parts: list[str] = []
    for text in lines:
        parts.append(text)
        parts.append(draw(separator))
    return "".join(parts)


def visible(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def spoken(m: Manuscript) -> str:
    title = "" if m.title == SENTINEL else m.title
    body = "".join(c.heading + "".join(p.text for p in c.points) for c in m.chapters)
    return title + body + "".join(m.unspoken)


def check_manuscript(m: Manuscript) -> None:
    for chapter in m.chapters:
        assert chapter.kind in ("opening", "section", "closing", "attachment")
        if chapter.kind == "section":
            # A heading is shown, not only spoken: each line (a part heading over the section
            # too) is in the chapter's title, cut as point titles are; a date is the document's.
            for text in chapter.heading.split("\n"):
                shown = point_title(text).rstrip("…")
                assert is_date_line(text) or shown in chapter.title, (text, chapter.title)
        for point in chapter.points:
            assert point.text.strip()
            assert point.title
            assert "\n" not in point.title


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manuscripts())
def test_parse_preserves_every_visible_character_once(raw: str) -> None:
    normalised = normalize_text(raw)
    try:
        m = parse(text_document(raw), fallback_title=SENTINEL)
    except ManuscriptError:
        return
    check_manuscript(m)
    assert visible(spoken(m)) == visible(normalised)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_parse_arbitrary_unicode(raw: str) -> None:
    try:
        m = parse(text_document(raw), fallback_title=SENTINEL)
    except ManuscriptError:
        return
    check_manuscript(m)
    assert visible(spoken(m)) == visible(normalize_text(raw))


@settings(max_examples=100, deadline=None)
@given(manuscripts())
def test_markdown_never_fails_unexpectedly(raw: str) -> None:
    try:
        m = parse(markdown_document(raw), fallback_title=SENTINEL)
    except ManuscriptError:
        return
    check_manuscript(m)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        manuscripts().flatmap(
            lambda text: st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]).map(
                lambda encoding: text.encode(encoding)
            )
        ),
    )
)
def test_read_text_raises_only_manuscript_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "稿.txt"
        path.write_bytes(data)
        try:
            text = read_text(path)
        except ManuscriptError as exc:
            assert "\n" not in str(exc)
            return
    assert text.strip()
    assert "\r" not in text


DOCUMENT_LINES = [
    "000123", "机密★1年", "特急", "××市人民政府文件", "×政发〔2024〕1号 签发人：李明",
    "各区县人民政府，市政府各部门：", "附件：1．办法", "2．细则", "特此通知。", "谢谢大家！",
    "××市人民政府", "2024年3月1日", "（此件公开发布）", "附件", "附件1", "第一条 总则。",
    "抄送：市委办公室。", "××办公室 2024年3月1日印发", "注释", "〔1〕见前注。", "------",
    "现在我来讲一讲第一个问题。", "下面讲第二个问题，", "“十四五”时期工作回顾",
    "（新华社北京3月6日电）",
]  # fmt: skip
document_line = st.one_of(st.sampled_from(DOCUMENT_LINES), line)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(document_line, max_size=30).map("\n".join),
    st.booleans(),
    st.sampled_from([None, 0.01, 1.0]),
)
def test_document_parts_keep_every_character_once(
    raw: str, read_boilerplate: bool, split: float | None
) -> None:
    try:
        m = parse(
            text_document(raw),
            fallback_title=SENTINEL,
            read_boilerplate=read_boilerplate,
            split=split,
        )
    except ManuscriptError:
        return
    check_manuscript(m)
    # Header lines held out of the chapters come first in the text, last in spoken().
    assert sorted(visible(spoken(m))) == sorted(visible(normalize_text(raw)))
    if read_boilerplate:
        assert m.unspoken == () or all(not any(c.isalnum() for c in u) for u in m.unspoken)
