"""Structure rules (issues #2 and #5), one group of tests per rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiopack.errors import ManuscriptError
from audiopack.model import Chapter, Manuscript, Point
from audiopack.outline_view import outline_dict, outline_text
from audiopack.text.read import Block, Document, markdown_document, text_document
from audiopack.text.structure import (
    is_heading_line,
    is_numbered,
    load_manuscript,
    marker_rank,
    parse,
    point_title,
)

LONG = "这是一个比较长的句子，用来确保这一行不会被当作标题或者前置信息来处理。"


def p(text: str, title: str | None = None) -> Manuscript:
    return parse(text_document(text), title=title, fallback_title="文件名")


def shape(m: Manuscript) -> list[tuple[str, str, int]]:
    return [(c.kind, c.title, len(c.points)) for c in m.chapters]


def texts(chapter: Chapter) -> list[str]:
    return [point.text for point in chapter.points]


# --------------------------------------------------------------------------- rule 1: paragraphs


def test_each_non_empty_line_is_a_paragraph() -> None:
    m = p(f"{LONG}\n\n\n第二段。\n   \n第三段。")
    assert texts(m.chapters[0]) == [LONG, "第二段。", "第三段。"]


# --------------------------------------------------------------------------- rule 2: title


def test_short_first_line_is_the_title() -> None:
    m = p(f"在全县工作会议上的讲话\n{LONG}")
    assert m.title == "在全县工作会议上的讲话"
    assert texts(m.chapters[0]) == [LONG]


@pytest.mark.parametrize(
    "first",
    [
        LONG,  # too long, prose
        "今天开会。",  # sentence end
        "今天开会",  # fine as a title: control case below
        "同志们：",  # salutation
        "一、提高认识",  # heading
        "关于这个问题，",  # trailing comma
        "这是问句吗？",
        "x" * 41,
    ],
)
def test_first_line_title_detection(first: str) -> None:
    m = p(f"{first}\n{LONG}")
    if first == "今天开会":
        assert m.title == first
    else:
        assert m.title == "文件名"
        assert first in "".join(c.heading + "".join(texts(c)) for c in m.chapters)


def test_title_argument_overrides_and_keeps_detected_line() -> None:
    m = p(f"原标题\n副标题\n{LONG}", title="新标题")
    assert m.title == "新标题"
    assert m.chapters[0].points[0] == Point("原标题", "原标题\n副标题", False)


def test_title_argument_without_detected_title() -> None:
    m = p(f"{LONG}\n第二段。", title="新标题")
    assert m.title == "新标题"
    assert texts(m.chapters[0]) == [LONG, "第二段。"]


def test_single_short_line_is_text_not_title() -> None:
    m = p("今天开会")
    assert m.title == "文件名"
    assert texts(m.chapters[0]) == ["今天开会"]


def test_front_matter_is_the_first_opening_point() -> None:
    m = p(
        "政府工作报告\n——在市人民代表大会上\n市长 李明\n（2024年3月5日）\n各位代表：\n"
        f"{LONG}\n一、回顾\n{LONG}"
    )
    assert m.title == "政府工作报告"
    opening = m.chapters[0]
    assert opening.kind == "opening"
    assert opening.points[0] == Point(
        "——在市人民代表大会上", "——在市人民代表大会上\n市长 李明\n（2024年3月5日）", False
    )
    assert opening.points[1].text == f"各位代表：\n{LONG}"


def test_front_matter_stops_at_prose_and_headings() -> None:
    m = p(f"标题\n2024年3月5日\n{LONG}\n短行\n一、甲\n{LONG}")
    # A date alone under the title is no point of its own: it joins the paragraph after it.
    assert texts(m.chapters[0]) == [f"2024年3月5日\n{LONG}", "短行"]
    m = p(f"标题\n市委书记 李明\n一、甲\n{LONG}")
    assert shape(m) == [("opening", "开场", 1), ("section", "一、甲", 1)]


def test_explicit_document_title() -> None:
    doc = Document(blocks=(Block("副标题"), Block(LONG)), title="文档标题")
    m = parse(doc, fallback_title="x")
    assert m.title == "文档标题"
    assert texts(m.chapters[0]) == ["副标题", LONG]


# --------------------------------------------------------------------------- rule 3: sections


@pytest.mark.parametrize(
    ("heading", "rank"),
    [
        ("第一部分 总体要求", 0),
        ("第二篇 实践篇", 0),
        ("第三章 附则", 1),
        ("第一讲 理想信念", 1),
        ("第12讲 作风建设", 1),
        ("第一节 基本概念", 2),
        ("一、提高认识", 3),
        ("十二、其他事项", 3),
        ("（一）压实责任", 4),
        ("(二)强化督查", 4),
        ("1. 加强领导", 5),
        ("2、强化保障", 5),
        ("3．严格考核", 5),
        ("（1）细化措施", 6),
        ("(2)明确时限", 6),
    ],
)
def test_heading_markers(heading: str, rank: int) -> None:
    assert marker_rank(heading) == rank
    assert is_heading_line(heading)
    m = p(f"{heading}\n{LONG}\n{heading}\n{LONG}")
    assert [c.kind for c in m.chapters] == ["section", "section"]
    assert m.chapters[0].heading == heading
    assert m.chapters[0].title == heading


@pytest.mark.parametrize(
    "line",
    [
        "一、" + "长" * 59,  # over 60 characters
        "一、提高认识。统一思想",  # a stop inside
        "一、提高认识！",
        "一、" + "长" * 29 + "。",  # trailing stop tolerated only up to 30 characters
        "3.5%的增长",
        "2024年工作回顾",
        "第一，加强领导",
        "首先是提高认识",
    ],
)
def test_not_heading_lines(line: str) -> None:
    assert not is_heading_line(line)


def test_short_heading_with_trailing_full_stop() -> None:
    assert is_heading_line("一、提高认识。")
    m = p(f"一、提高认识。\n{LONG}\n二、强化措施。\n{LONG}")
    assert [c.heading for c in m.chapters] == ["一、提高认识。", "二、强化措施。"]


def test_higher_rank_makes_sections_lower_rank_subsections() -> None:
    m = p(
        "第一部分 形势\n一、成绩\n成绩很大。\n补充说明。\n二、问题\n问题不少。\n"
        "第二部分 任务\n任务引言。\n一、抓落实\n一是抓项目。\n二是抓招商。"
    )
    assert shape(m) == [
        ("section", "第一部分 形势", 3),
        ("section", "第二部分 任务", 3),
    ]
    first, second = m.chapters
    assert first.points[0] == Point("一、成绩 · 成绩很大", "一、成绩\n成绩很大。", True)
    assert first.points[1] == Point("一、成绩 · 补充说明", "补充说明。", False)
    assert first.points[2].title == "二、问题 · 问题不少"
    assert second.points[0] == Point("任务引言", "任务引言。", False)
    assert second.points[1].title == "一、抓落实 · 一是抓项目"
    assert second.points[2] == Point("一、抓落实 · 二是抓招商", "二是抓招商。", True)


def test_subsection_heading_without_body_is_its_own_point() -> None:
    m = p("一、甲\n（一）子一\n（二）子二\n正文。\n（三）子三\n二、乙\n正文。")
    section = m.chapters[0]
    assert section.points == (
        Point("（一）子一", "（一）子一", True),
        Point("（二）子二 · 正文", "（二）子二\n正文。", True),
        Point("（三）子三", "（三）子三", True),
    )


def test_long_subsection_heading_prefix_is_cut() -> None:
    heading = "（一）" + "很长的小节标题" * 6
    m = p(f"一、甲\n{heading}\n正文。")
    title = m.chapters[0].points[0].title
    assert title == heading[:30] + "… · 正文"


def test_section_heading_followed_by_section_heading_keeps_its_heading() -> None:
    m = p(f"一、甲\n二、乙\n{LONG}")
    assert shape(m) == [("section", "一、甲", 0), ("section", "二、乙", 1)]


def test_single_top_heading_is_a_part_heading_over_repeated_lower_ones() -> None:
    # The part heading is spoken with the first section and titles it; no point of its own.
    m = p(f"第一部分 总体\n一、甲\n{LONG}\n二、乙\n{LONG}")
    assert shape(m) == [("section", "第一部分 总体 · 一、甲", 1), ("section", "二、乙", 1)]
    assert m.chapters[0].heading == "第一部分 总体\n一、甲"


def test_single_top_heading_with_an_introduction_is_the_first_chapter() -> None:
    m = p(f"第四节 动力\n{LONG}\n一 地主阶级\n{LONG}\n二 资产阶级\n{LONG}")
    assert shape(m) == [("section", "第四节 动力", 1), ("section", "一 地主阶级", 1),
                        ("section", "二 资产阶级", 1)]  # fmt: skip


def test_stray_single_higher_heading_after_repeated_kind() -> None:
    m = p(f"一、甲\n{LONG}\n二、乙\n{LONG}\n第一章 附录\n{LONG}\n三、丙\n{LONG}")
    assert [c.title for c in m.chapters] == ["一、甲", "二、乙", "第一章 附录", "三、丙"]


def test_explicit_levels_rank_above_markers() -> None:
    doc = Document(
        blocks=(
            Block("总体要求", heading_level=1),
            Block("（一）指导思想"),
            Block(LONG),
            Block("重点任务", heading_level=1),
            Block("第一部分 不是节"),
            Block(LONG),
        )
    )
    m = parse(doc, fallback_title="x")
    assert shape(m) == [("section", "总体要求", 1), ("section", "重点任务", 1)]
    assert m.chapters[0].points[0].title == "（一）指导思想 · " + point_title(LONG)
    assert m.chapters[1].points[0].text == f"第一部分 不是节\n{LONG}"


def test_markdown_highest_level_after_title_gives_sections() -> None:
    doc = markdown_document(
        "# 标题\n\n## 一、甲\n\n### （一）子\n\n- 要点。\n\n1. 编号。\n\n## 二、乙\n\n**正文**。\n"
    )
    m = parse(doc, fallback_title="x")
    assert m.title == "标题"
    assert shape(m) == [("section", "一、甲", 2), ("section", "二、乙", 1)]
    assert m.chapters[0].points[1] == Point("（一）子 · 1. 编号", "1. 编号。", True)
    assert m.chapters[1].points[0].text == "正文。"


def test_explicit_list_items_are_points_not_headings() -> None:
    doc = Document(blocks=(Block("一、甲"), Block("加强领导", numbered=True), Block("二、乙")))
    m = parse(doc, fallback_title="x")
    assert m.chapters[0].points == (Point("加强领导", "加强领导", True),)


# --------------------------------------------------------------------------- rule 4: points


@pytest.mark.parametrize(
    "para",
    [
        "一要提高认识。",
        "十二要加强领导。",
        "一是提高认识。",
        "第一，提高认识。",
        "第二、强化措施。",
        "首先，提高认识。",
        "其次,强化措施。",
        "再次，严格考核。",
        "然后，总结经验。",
        "最后，祝大家新年快乐！",
        "（一）压实属地管理责任。各乡镇要负总责。",
        "(二)压实部门责任。",
        "1. 加强组织领导，确保落实。",
        "2、强化督查。",
        "3．严格考核。",
        "（1）细化措施。",
        "(2)明确时限。",
        "①思想解放不够。",
        "⑳其他。",
    ],
)
def test_numbered_point_markers(para: str) -> None:
    assert is_numbered(para)
    m = p(f"一、甲\n{para}")
    assert m.chapters[0].points[0].numbered


@pytest.mark.parametrize(
    "para", ["首先要提高认识。", "第一次会议召开。", "3.5%的增长。", "2024年工作。", "今天开会。"]
)
def test_unnumbered_paragraphs(para: str) -> None:
    assert not is_numbered(para)


def test_run_in_heading_is_one_numbered_point() -> None:
    m = p("一、回顾\n（一）经济运行稳中向好。全市生产总值增长5.8%；收入增长7.2%。")
    assert m.chapters[0].points == (
        Point(
            "（一）经济运行稳中向好",
            "（一）经济运行稳中向好。全市生产总值增长5.8%；收入增长7.2%。",
            True,
        ),
    )


def test_intro_paragraphs_are_points() -> None:
    m = p(f"一、甲\n{LONG}\n引言二。\n一要落实。")
    assert [(pt.title, pt.numbered) for pt in m.chapters[0].points] == [
        (point_title(LONG), False),
        ("引言二", False),
        ("一要落实", True),
    ]


# --------------------------------------------------------------------------- rule 5: titles


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("一要提高认识。后面的话。", "一要提高认识"),
        ("问句吗？后面。", "问句吗"),
        ("感叹！后面。", "感叹"),
        ("分号；后面。", "分号"),
        ("half;after", "half"),
        ("行一\n行二。", "行一"),
        ("  前后空格  。", "前后空格"),
        ("逗号，不断句，冒号：也不断句。", "逗号，不断句，冒号：也不断句"),
        ("长" * 30 + "。", "长" * 30),
        ("长" * 31 + "。", "长" * 30 + "…"),
        ("。。开头是标点。", "开头是标点"),
        ("。", "。"),
    ],
)
def test_point_title(text: str, title: str) -> None:
    assert point_title(text) == title


# --------------------------------------------------------------------------- rule 6: opening


def test_opening_with_salutation_joined() -> None:
    m = p(f"讲话\n同志们：\n{LONG}\n第二段。\n一、甲\n一要落实。")
    opening = m.chapters[0]
    assert (opening.kind, opening.title, opening.heading) == ("opening", "开场", "")
    assert opening.points[0] == Point(point_title(LONG), f"同志们：\n{LONG}", False)
    assert texts(opening)[1] == "第二段。"


@pytest.mark.parametrize("salutation", ["各位同志：", "同志们、朋友们：", "各位领导、同志们:"])
def test_salutation_variants(salutation: str) -> None:
    m = p(f"{salutation}\n{LONG}\n一、甲\n一要落实。")
    assert texts(m.chapters[0]) == [f"{salutation}\n{LONG}"]


def test_salutation_before_heading_stays_alone() -> None:
    m = p("同志们：\n一、甲\n一要落实。")
    assert texts(m.chapters[0]) == ["同志们："]


def test_no_opening_when_text_starts_with_a_section() -> None:
    m = p(f"一、甲\n{LONG}\n二、乙\n{LONG}")
    assert [c.kind for c in m.chapters] == ["section", "section"]


def test_salutation_not_joined_inside_sections() -> None:
    m = p(f"一、甲\n具体如下：\n{LONG}")
    assert texts(m.chapters[0]) == ["具体如下：", LONG]


# --------------------------------------------------------------------------- rule 7: closing


def test_closing_from_salutation_paragraph() -> None:
    m = p("一、甲\n引言。\n一要落实。\n二要督查。\n同志们，任务艰巨。\n会后抓好传达。")
    assert shape(m) == [("section", "一、甲", 3), ("closing", "结束语", 2)]
    closing = m.chapters[-1]
    assert closing.heading == ""
    assert texts(closing) == ["同志们，任务艰巨。", "会后抓好传达。"]


@pytest.mark.parametrize("start", ["同志们！", "各位同志，", "同志们、朋友们，", "各位代表，"])
def test_closing_salutation_variants(start: str) -> None:
    m = p(f"一、甲\n一要落实。\n{start}让我们共同努力。")
    assert m.chapters[-1].kind == "closing"


def test_closing_by_salutation_without_numbered_points() -> None:
    m = p(f"一、甲\n{LONG}\n同志们，让我们共同努力。")
    assert shape(m) == [("section", "一、甲", 1), ("closing", "结束语", 1)]


def test_first_point_of_last_section_is_never_the_closing() -> None:
    m = p("一、甲\n同志们，这是引言。")
    assert shape(m) == [("section", "一、甲", 1)]


def test_salutation_before_last_numbered_point_is_not_closing() -> None:
    m = p("一、甲\n一要落实。\n同志们，还要注意。\n二要督查。")
    assert shape(m) == [("section", "一、甲", 3)]


def test_closing_from_trailing_paragraphs_after_numbered_points() -> None:
    m = p(
        f"一、甲\n一要落实。\n二、乙\n{LONG}\n一是抓项目。\n二是抓招商。\n总之要努力。\n再接再厉。"
    )
    assert shape(m) == [
        ("section", "一、甲", 1),
        ("section", "二、乙", 3),
        ("closing", "结束语", 2),
    ]


def test_no_closing_without_numbered_points_or_salutation() -> None:
    m = p(f"一、甲\n{LONG}\n二、乙\n{LONG}\n总之要努力。")
    assert shape(m) == [("section", "一、甲", 1), ("section", "二、乙", 2)]


def test_no_closing_when_last_numbered_point_ends_the_text() -> None:
    m = p(f"一、甲\n{LONG}\n一要落实。")
    assert [c.kind for c in m.chapters] == ["section"]


def test_subsection_body_is_not_mistaken_for_closing() -> None:
    m = p("第一讲 甲\n一、子\n正文一。\n正文二。\n正文三。")
    assert shape(m) == [("section", "第一讲 甲", 3)]


def test_closing_titles_lose_the_subsection_prefix() -> None:
    m = p("一、甲\n（一）子\n一是抓项目。\n二是抓招商。\n总之要努力。")
    assert m.chapters[0].points[-1].title == "（一）子 · 二是抓招商"
    assert m.chapters[-1].points == (Point("总之要努力", "总之要努力。", False),)


def test_closing_via_salutation_after_subsection() -> None:
    m = p("一、甲\n（一）子\n正文。\n同志们，共同努力。")
    assert shape(m)[-1] == ("closing", "结束语", 1)
    assert m.chapters[-1].points[0].title == "同志们，共同努力"


# --------------------------------------------------------------------------- rule 8: no headings


def test_no_headings_is_one_opening_named_after_the_document_with_its_closing() -> None:
    m = p(f"致辞\n同志们：\n{LONG}\n一是好。\n同志们，再见。")
    assert shape(m) == [("opening", "致辞", 2), ("closing", "结束语", 1)]
    chapter = m.chapters[0]
    assert chapter.heading == ""
    assert texts(chapter) == [f"同志们：\n{LONG}", "一是好。"]
    assert texts(m.chapters[1]) == ["同志们，再见。"]


def test_no_headings_without_a_closing_is_one_opening() -> None:
    m = p(f"致辞\n{LONG}\n二段。")
    assert shape(m) == [("opening", "致辞", 2)]


def test_no_headings_with_front_matter() -> None:
    m = p(f"致辞\n县长 李明\n{LONG}")
    assert texts(m.chapters[0]) == ["县长 李明", LONG]


# --------------------------------------------------------------------------- rules 9, 10


def test_no_text_lost_in_a_full_example() -> None:
    source = (
        "讲话\n——副标题\n同志们：\n开场白。\n第一部分 甲\n引言。\n一、子\n（一）孙\n正文。\n"
        "一要落实。\n第二部分 乙\n1. 加强领导。\n2. 强化保障。\n同志们，努力。\n再见。"
    )
    m = p(source)
    spoken = m.title + "".join(c.heading + "".join(texts(c)) for c in m.chapters)
    assert spoken.replace("\n", "") == source.replace("\n", "")


def test_very_long_paragraph_stays_one_point() -> None:
    para = "这是很长的一段话，" * 500 + "结束。"
    m = p(f"一、甲\n{para}")
    assert texts(m.chapters[0]) == [para]


# --------------------------------------------------------------------------- errors, API


@pytest.mark.parametrize("source", ["。。。\n！！", "——\n……"])
def test_nothing_speakable_raises(source: str) -> None:
    with pytest.raises(ManuscriptError, match="no text to speak"):
        p(source)


def test_title_only_markdown_raises() -> None:
    with pytest.raises(ManuscriptError, match="no text to speak"):
        parse(markdown_document("# 只有标题\n"), fallback_title="x")


def test_empty_document_raises() -> None:
    with pytest.raises(ManuscriptError):
        parse(Document(blocks=()), fallback_title="x")


def test_load_manuscript_uses_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "年度工作会议讲话.txt"
    path.write_text(f"{LONG}\n一、甲\n一要落实。", encoding="gb18030")
    m = load_manuscript(path)
    assert m.title == "年度工作会议讲话"
    assert load_manuscript(path, title="自定").title == "自定"


def test_load_manuscript_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ManuscriptError, match=r"缺失\.txt"):
        load_manuscript(tmp_path / "缺失.txt")


def test_outline_dict_shape_and_text() -> None:
    m = p(f"讲话\n同志们：\n{LONG}\n一、甲\n一要落实。\n同志们，努力。")
    assert outline_dict(m) == {
        "title": "讲话",
        "chapters": [
            {"kind": "opening", "title": "开场", "points": [
                {"title": point_title(LONG), "text": f"同志们：\n{LONG}"}]},
            {"kind": "section", "title": "一、甲", "points": [
                {"title": "一要落实", "text": "一要落实。"}]},
            {"kind": "closing", "title": "结束语", "points": [
                {"title": "同志们，努力", "text": "同志们，努力。"}]},
        ],
    }  # fmt: skip
    lines = outline_text(m).splitlines()
    assert lines[0].startswith("讲话  (3 chapters, 3 points, ")
    assert lines[1].startswith("1. [opening] 开场  (1 point, ")
    assert lines[2] == "   1.1 - 同志们： 这是一个比较长的句子，用来确保…"
    assert lines[4] == "   2.1 # 一要落实。"
    # 一、甲 + 一要落实。 = 8 characters at 4 per second = 2 s.
    assert lines[3] == "2. [section] 一、甲  (1 point, 8 chars, ~00:02)"
    assert "~00:04" in outline_text(m, chars_per_second=2.0).splitlines()[3]


def test_sign_off_block_closes_a_notice_without_numbered_points() -> None:
    from audiopack.text.read import text_document
    from audiopack.text.structure import parse

    text = (
        "关于做好安全生产工作的通知\n各部门：\n现将有关事项通知如下。\n"
        "一、提高认识\n1．要深刻认识重要性。\n2．要树立安全理念。\n"
        "二、加强检查\n各地要加强督查，对工作不力的严肃问责。\n"
        "特此通知。\n××市人民政府办公室\n2024年1月5日\n"
    )
    manuscript = parse(text_document(text), fallback_title="x")
    kinds = [c.kind for c in manuscript.chapters]
    assert kinds == ["opening", "section", "section"]
    # Without closing remarks the sign-off joins the last point: date and signature lines are
    # never points of their own.
    assert [p.text for p in manuscript.chapters[-1].points] == [
        "各地要加强督查，对工作不力的严肃问责。\n特此通知。\n××市人民政府办公室\n2024年1月5日"
    ]
    assert manuscript.document.signature == "××市人民政府办公室"
    assert manuscript.document.date == "2024年1月5日"
    assert manuscript.document.addressee == "各部门："


def test_short_last_lines_without_a_sign_off_stay_in_the_section() -> None:
    from audiopack.text.read import text_document
    from audiopack.text.structure import parse

    text = "一、总体要求\n坚持稳中求进。\n二、重点任务\n抓好项目建设。\n持续用力\n久久为功\n"
    manuscript = parse(text_document(text), fallback_title="x")
    assert [c.kind for c in manuscript.chapters] == ["section", "section"]
