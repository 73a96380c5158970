"""Real notices a QA pass outlined wrongly (excerpts as published; sources in each docstring)."""

from __future__ import annotations

from audiopack.model import Manuscript
from audiopack.outline_view import outline_dict
from audiopack.text.read import text_document
from audiopack.text.structure import parse
from audiopack.text.structure.lines import is_date_line

# 国发〔2023〕16号, its beginning, as copied from
# http://imasd-velecdom.com/prestashop/show.aspx?ES=41ht5.html (国务院, 2023-10-16).
GUOFA_2023_16 = """国务院关于推动内蒙古高质量发展
奋力书写中国式现代化新篇章的意见
国发〔2023〕16号
各省、自治区、直辖市人民政府,国务院各部委、各直属机构:
紧紧围绕高质量发展这个首要任务,把内蒙古建设成为我国北方重要生态安全屏障、祖国北疆安全稳定屏障、国家重要能源和战略资源基地、国家重要农畜产品生产基地、我国向北开放重要桥头堡,是习近平总书记和党中央赋予内蒙古的战略定位和重大责任。
一、总体要求
(一)指导思想
以习近平新时代中国特色社会主义思想为指导,深入贯彻党的二十大精神,牢牢把握习近平总书记和党中央对内蒙古的战略定位,完整、准确、全面贯彻新发展理念。
(二)工作原则
——生态优先、绿色发展。牢固树立绿水青山就是金山银山的理念,扎实推动黄河流域生态保护和高质量发展。
"""

# 许政[2009]34号, its beginning, as copied from http://law372.infoeach.com/view-MzcyfDEwNDEwOA==.html
XUCHANG_2009_34 = """许昌市人民政府关于印发许昌市价格调节基金管理办法的通知

许政[2009]34号


各县(市、区)人民政府,经济开发区、东城区管委会,市人民政府各部门:



《许昌市价格调节基金管理办法》已经市政府第51常务会议研究通过,现印发给你们,请遵照执行。



二○○九年七月十六日



许昌市价格调节基金管理办法



第一章总则



第一条根据《许昌市人民政府关于进一步规范和完善价格调节基金征收管理使用工作的通知》(许政〔2007〕51号)精神,结合征收工作实际,为进一步规范价格调节基金征收、管理、使用等各项工作,特制定本办法。



第二条本办法所称价格调节基金是指市政府根据《中华人民共和国价格法》、国务院和省政府有关规定,由政府多渠道筹集,用于平抑物价,实行政府价格补贴,保障低收入群体动态价格救助等政府专项资金。



第二章征收范围和标准



第五条价格调节基金征收对象主要是,高消费和娱乐享受型消费行业、高利润行业、垄断性行业、保护类资源开发和产业政策限制类产业。
"""

# 银发[1997]339号, its beginning, as copied from http://law724.infoeach.com/view-NzI0fDU4ODMz.html
# (the addressee and a paragraph are broken over two lines as on that page).
YINFA_1997_339 = """关于大额现金支付管理的通知

中国人民银行

银发[1997]339号


中国工商银行、中国农业银行、中国银行、中国建设银行、国家开发银行、中国农业发展银行、中国进出口银行、交通银行、中信实业银行、中国光大银行、华夏银行、广东发展银行、招商银行、深圳发展银行、中国投资银行、中国民生银行、海南发展银行、福建兴业银行、上海浦东
发展银行、邮政储汇局,中国人民银行各省、自治区、直辖市分行、深圳经济特区分行:
为了维护存款人的合法权益与资金安全,防范和打击经济犯罪活动,促进银行转帐结算业务发展,经国务院批准,现就大额现金支付管理问题通知如下

一、切实加强企业帐户开立及其现金支付的管理
根据《中华人民共和国商业银行法》第四十八条规定,凡在国家工商行政管理机关登记注册的企业,只能选择一家银行的营业场所开立一个基本存款帐户,按照《现金管理暂行条例》规定的使用现金范围,办理现金收付业务。企业如有需要,可在其它金融机构开立一般存款帐户,用于
办理转帐结算和现金缴存业务,但不得支付现金。
"""


def p(text: str) -> Manuscript:
    return parse(text_document(text), fallback_title="文件名")


def shape(m: Manuscript) -> list[tuple[str, str, int]]:
    return [(c.kind, c.title, len(c.points)) for c in m.chapters]


def shown(m: Manuscript) -> str:
    """Everything the outline (--json) shows: title, chapter titles, point texts, elements."""
    outline = outline_dict(m)
    parts = [outline["title"], *outline.get("document", {}).values()]
    for chapter in outline["chapters"]:
        parts.append(chapter["title"])
        parts += [point["text"] for point in chapter["points"]]
    return "\n".join(parts)


def test_a_part_heading_over_the_first_section_titles_it() -> None:
    m = p(GUOFA_2023_16)
    assert "一、总体要求" in shown(m)
    assert shape(m) == [
        ("opening", "开场", 1),
        ("section", "一、总体要求 · (一)指导思想", 1),
        ("section", "(二)工作原则", 1),
    ]
    assert m.chapters[1].heading == "一、总体要求\n(一)指导思想"


def test_every_line_of_the_qa_texts_is_shown() -> None:
    for text in (GUOFA_2023_16, XUCHANG_2009_34, YINFA_1997_339):
        everything = shown(p(text)).replace("\n", "")
        for line in text.splitlines():
            assert line.strip() in everything or not line.strip(), line


def test_the_regulation_a_notice_issues_after_its_date_is_an_attachment() -> None:
    m = p(XUCHANG_2009_34)
    # the notice has no headings: its one chapter is named after it (README)
    assert [(c.kind, c.title) for c in m.chapters] == [
        ("opening", m.title),
        ("attachment", "许昌市价格调节基金管理办法"),
    ]
    assert len(m.chapters[1].points) == 3  # one point per article
    assert m.chapters[1].points[0].title.startswith("第一章总则")
    assert m.document.date == "二○○九年七月十六日"
    opening = m.chapters[0].points
    assert opening[-1].text.endswith("请遵照执行。\n二○○九年七月十六日")
    for chapter in m.chapters:
        assert not any(is_date_line(point.text) for point in chapter.points)


def test_an_issuer_line_over_the_doc_number_is_header_not_a_point() -> None:
    m = p(YINFA_1997_339)
    assert m.document.doc_number == "银发[1997]339号"
    assert m.document.issuer_mark == "中国人民银行"
    assert m.chapters[0].kind == "opening"
    first = m.chapters[0].points[0].text
    assert "中国人民银行\n银发" not in first
    assert first.startswith("中国工商银行")


def test_an_addressee_broken_over_two_lines_is_one_addressee() -> None:
    m = p(YINFA_1997_339)
    assert m.document.addressee.startswith("中国工商银行")
    assert m.document.addressee.endswith("深圳经济特区分行:")
    assert shape(m) == [
        ("opening", "开场", 1),
        # the paragraph broken at "用于" stays two points: a copy's cut looks the same
        ("section", "一、切实加强企业帐户开立及其现金支付的管理", 2),
    ]
