"""GB/T 9704-2012 elements, --read-boilerplate, --split and spoken structure markers."""

from __future__ import annotations

from pathlib import Path

from audiopack.model import Manuscript
from audiopack.outline_view import outline_dict
from audiopack.text.read import text_document
from audiopack.text.structure import parse

LONG = "这是一个比较长的句子，用来确保这一行不会被当作标题或者前置信息来处理。"

# The layout of a red-header notice as copied from a PDF (GB/T 9704-2012: 版头, 主体, 版记).
NOTICE = f"""000123
机密★1年
特急
××市人民政府办公室文件
×政办发〔2024〕12号　　签发人：李明
××市人民政府办公室关于印发
《××市安全生产检查办法》的通知
各区县人民政府，市政府各部门：
经市政府同意，现将《××市安全生产检查办法》印发给你们，请认真贯彻执行。
一、提高认识
{LONG}
二、抓好落实
{LONG}
附件：××市安全生产检查办法
××市人民政府办公室
2024年3月1日
（此件公开发布）
附件
××市安全生产检查办法
第一章　总则
第一条　为了加强安全生产检查，制定本办法。
第二条　本办法适用于本市行政区域内的安全生产检查。
第二章　附则
第三条　本办法自发布之日起施行。
抄送：市委办公室，市人大常委会办公室。
××市人民政府办公室　　2024年3月1日印发
"""


def p(text: str, **kw: object) -> Manuscript:
    return parse(text_document(text), fallback_title="文件名", **kw)  # type: ignore[arg-type]


def shape(m: Manuscript) -> list[tuple[str, str, int]]:
    return [(c.kind, c.title, len(c.points)) for c in m.chapters]


def test_red_header_notice_elements_and_places() -> None:
    m = p(NOTICE)
    assert m.title == "××市人民政府办公室关于印发《××市安全生产检查办法》的通知"
    assert shape(m) == [
        ("opening", "开场", 1),
        ("section", "一、提高认识", 1),
        ("section", "二、抓好落实", 1),
        ("attachment", "××市安全生产检查办法", 3),
    ]
    assert outline_dict(m)["document"] == {
        "issuer_mark": "××市人民政府办公室文件",
        "copy_number": "000123",
        "secrecy": "机密★1年",
        "urgency": "特急",
        "doc_number": "×政办发〔2024〕12号",
        "signer": "李明",
        "addressee": "各区县人民政府，市政府各部门：",
        "attachment_note": "附件：××市安全生产检查办法",
        "signature": "××市人民政府办公室",
        "date": "2024年3月1日",
        "note": "（此件公开发布）",
        "imprint": "抄送：市委办公室，市人大常委会办公室。\n××市人民政府办公室  2024年3月1日印发",
    }
    # The sign-off is one point; the header, note and imprint are not spoken by default.
    assert (
        m.chapters[2].points[0].text
        == f"{LONG}\n附件：××市安全生产检查办法\n××市人民政府办公室\n2024年3月1日"
    )
    assert m.chapters[0].points[0].text.startswith("各区县人民政府，市政府各部门：\n经市政府同意")
    assert m.unspoken[0] == "000123" and m.unspoken[-1].endswith("印发")
    attachment = m.chapters[3]
    assert attachment.heading == "附件\n××市安全生产检查办法"
    assert [pt.title.split(" · ")[0] for pt in attachment.points] == ["第一章 总则"] * 2 + [
        "第二章 附则"
    ]


def test_read_boilerplate_speaks_header_note_and_imprint() -> None:
    m = p(NOTICE, read_boilerplate=True)
    assert m.unspoken == ()
    assert m.chapters[0].points[0].text.startswith("000123\n机密★1年")
    assert m.chapters[2].points[0].text.endswith("（此件公开发布）")
    assert m.chapters[-1].points[0].text.startswith("抄送：")


def test_headline_title_with_colon_and_comma() -> None:
    m = p(f"习近平：未来五年，要把握好这几点\n来源：新华网\n{LONG}\n{LONG}")
    assert m.title == "习近平：未来五年，要把握好这几点"
    assert m.chapters[0].points[0].text == "来源：新华网"


def test_ideographic_space_and_full_width_stop_headings() -> None:
    m = p(f"一　地主阶级\n{LONG}\n二　资产阶级\n{LONG}\n1．甲\n{LONG}")
    assert [c.title for c in m.chapters] == ["一 地主阶级", "二 资产阶级"]


def test_unnumbered_part_headings_over_restarting_numbers() -> None:
    text = (
        f"报告\n{LONG}\n中国经济面临的机遇与挑战\n1．机遇\n{LONG}\n2．挑战\n{LONG}\n"
        f"改革开放的新举措\n1．改革\n{LONG}\n2．开放\n{LONG}"
    )
    m = p(text)
    assert shape(m) == [
        ("opening", "开场", 1),
        ("section", "中国经济面临的机遇与挑战", 2),
        ("section", "改革开放的新举措", 2),
    ]


def test_spoken_structure_markers_become_sections() -> None:
    text = (
        f"党课\n{LONG}\n现在我来讲一讲第一个问题。\n{LONG}\n{LONG}\n"
        f"下面讲第二个问题，就是作风问题。\n{LONG}\n同志们，让我们努力奋斗！"
    )
    m = p(text)
    assert shape(m) == [
        ("opening", "开场", 1),
        ("section", "现在我来讲一讲第一个问题", 2),
        ("section", "下面讲第二个问题，就是作风问题", 1),
        ("closing", "结束语", 1),
    ]
    assert m.chapters[1].heading == "现在我来讲一讲第一个问题。"


def test_thanks_and_date_close_a_speech_as_one_point() -> None:
    m = p(f"讲话\n{LONG}\n一、甲\n{LONG}\n同志们，让我们努力奋斗！\n谢谢大家！")
    assert shape(m)[-1] == ("closing", "结束语", 1)
    assert m.chapters[-1].points[0].text == "同志们，让我们努力奋斗！\n谢谢大家！"


def test_split_divides_a_long_chapter_at_its_subsections() -> None:
    body = "\n".join(f"（{n}）小节{n}\n{LONG * 40}" for n in "一二三")
    m = p(f"一、甲\n{body}\n二、乙\n{LONG}", split=5.0)
    assert [c.title for c in m.chapters] == [
        "一、甲 · （一）小节一",
        "一、甲 · （二）小节二",
        "一、甲 · （三）小节三",
        "二、乙",
    ]
    assert [c.heading for c in m.chapters] == ["一、甲", "", "", "二、乙"]
    assert len(p(f"一、甲\n{body}\n二、乙\n{LONG}", split=None).chapters) == 2


def test_page_shows_the_document_elements() -> None:
    from audiopack.output.page import render_index_html

    index = {
        "title": "通知",
        "document": {"doc_number": "×政办发〔2024〕12号", "imprint": "抄送：甲。\n乙 印发"},
        "duration": 1.0,
        "chapters": [],
    }
    page = render_index_html(index)
    assert "<dt>发文字号</dt><dd>×政办发〔2024〕12号</dd>" in page
    assert "<dd>抄送：甲。<br>乙 印发</dd>" in page
    assert 'class="document"' not in render_index_html({**index, "document": {}})


def test_attachment_chapters_get_file_names() -> None:
    from audiopack.output.names import chapter_file_stems

    stems = chapter_file_stems(p(NOTICE).chapters)
    assert stems == ["01-开场", "02-提高认识", "03-抓好落实", "04-××市安全生产检查办法"]


def test_library_outline_takes_the_structure_options(tmp_path: Path) -> None:
    import audiopack

    path = tmp_path / "通知.txt"
    path.write_text(NOTICE, encoding="utf-8")
    assert audiopack.outline(path).unspoken[0] == "000123"
    assert audiopack.outline(path, read_boilerplate=True).unspoken == ()
