"""Reading stage: encodings, normalisation, errors, markdown and docx readers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from audiopack.errors import ManuscriptError
from audiopack.text.read import (
    Block,
    Document,
    load_document,
    markdown_document,
    normalize_text,
    read_text,
    text_document,
)

SPEECH = "在全县工作会议上的讲话\n同志们：\n今天，我们召开会议。\n一、提高认识\n一要统一思想。\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- encodings


def test_utf8_without_bom(tmp_path: Path) -> None:
    assert read_text(write(tmp_path, "a.txt", SPEECH.encode("utf-8"))) == SPEECH


def test_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + SPEECH.replace("\n", "\r\n").encode("utf-8")
    text = read_text(write(tmp_path, "a.txt", data))
    assert text == SPEECH
    assert "\ufeff" not in text and "\r" not in text


def test_lone_cr_line_endings(tmp_path: Path) -> None:
    data = SPEECH.replace("\n", "\r").encode("utf-8")
    assert read_text(write(tmp_path, "a.txt", data)) == SPEECH


def test_gbk(tmp_path: Path) -> None:
    assert read_text(write(tmp_path, "a.txt", SPEECH.encode("gbk"))) == SPEECH


def test_short_gbk_text_is_not_misdetected(tmp_path: Path) -> None:
    # Short GBK texts are often guessed as Korean or Japanese by detectors.
    for text in ("会议", "同志们：\n今天开会。", "讲话稿"):
        assert read_text(write(tmp_path, "a.txt", text.encode("gbk"))) == text


def test_gb18030_with_characters_outside_gbk(tmp_path: Path) -> None:
    text = "𠮷祥村食用菌产业经过多年发展，已形成完整链条。\n镕基同志讲话。\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    assert read_text(write(tmp_path, "a.txt", text.encode("gb18030"))) == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(tmp_path: Path, encoding: str) -> None:
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    data = bom + SPEECH.encode(encoding)
    assert read_text(write(tmp_path, "a.txt", data)) == SPEECH


# --------------------------------------------------------------------------- normalisation


def test_fullwidth_spaces_and_nbsp() -> None:
    text = "\u3000\u3000今天，我们\u3000召开会议。\u3000\n\u00a0一、提高\u00a0认识\u00a0\n"
    assert normalize_text(text) == "今天，我们 召开会议。\n一、提高 认识\n"


def test_zero_width_bom_and_control_characters_removed() -> None:
    text = "\ufeff今天\u200b，我们\u200d召开\x07会议\x1b。\u2060\n\t一要\t统一思想。\t"
    assert normalize_text(text) == "今天，我们召开会议。\n一要\t统一思想。"


def test_other_line_separators_become_newlines() -> None:
    assert normalize_text("甲\u2028乙\u2029丙\x0c丁\r\n戊\r己") == "甲\n乙\n丙\n丁\n戊\n己"


def test_text_document_one_block_per_non_empty_line() -> None:
    doc = text_document("标题\n\n\u3000\u3000第一段。\n   \n第二段。")
    assert doc.blocks == (Block("标题"), Block("第一段。"), Block("第二段。"))
    assert doc.title is None


def test_fullwidth_space_in_file(tmp_path: Path) -> None:
    data = "\u3000\u3000今天开会。\u3000\n".encode()
    assert read_text(write(tmp_path, "a.txt", data)) == "今天开会。\n"


# --------------------------------------------------------------------------- errors


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManuscriptError, match=r"nope\.txt not found"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(ManuscriptError, match="not found"):
        load_document(tmp_path / "nope.docx")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "讲话稿"
    folder.mkdir()
    with pytest.raises(ManuscriptError, match="讲话稿 is a directory"):
        read_text(folder)
    with pytest.raises(ManuscriptError, match="is a directory"):
        load_document(folder)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ManuscriptError, match=r"empty\.txt is empty"):
        read_text(write(tmp_path, "empty.txt", b""))


@pytest.mark.parametrize(
    "data",
    [b"   \n\n\t  \r\n", "\u3000\u3000\n\u00a0".encode(), b"\xef\xbb\xbf", b"\xef\xbb\xbf \r\n"],
    ids=["ascii", "fullwidth", "bom-only", "bom-space"],
)
def test_whitespace_only_file(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ManuscriptError, match="only whitespace"):
        read_text(write(tmp_path, "blank.txt", data))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "今天开会。".encode() + b"\x00\x00\x00",
        bytes(range(1, 32)) * 20,
    ],
    ids=["png", "nul", "controls"],
)
def test_binary_file(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ManuscriptError, match=r"bin\.txt looks like a binary file"):
        read_text(write(tmp_path, "bin.txt", data))


def test_undecodable_file(tmp_path: Path) -> None:
    data = bytes(range(0x80, 0x100)) * 4
    with pytest.raises(ManuscriptError, match=r"cannot decode .*x\.txt: .*save it as UTF-8"):
        read_text(write(tmp_path, "x.txt", data))


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "locked.txt", SPEECH.encode())

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    # Root ignores chmod, so simulate the OS refusing the read.
    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(ManuscriptError, match=r"cannot read .*locked\.txt: permission denied"):
        read_text(path)


def test_error_messages_are_one_line(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.txt", write(tmp_path, "e.txt", b"")):
        with pytest.raises(ManuscriptError) as info:
            read_text(path)
        assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- markdown


def test_markdown_title_headings_lists_and_emphasis() -> None:
    doc = markdown_document(
        "# 总标题\n\n副标题\n\n## 一、第一部分\n\n- 要点**甲**。\n* 要点乙。\n"
        "1. 编号一。\n2) 编号二。\n\n### （一）小节 ###\n\n> 引用段落。\n\n---\n\n"
        "```\ncode\n```\n*书记讲过，[链接](http://x)很好。\n"
    )
    assert doc.title == "总标题"
    assert doc.blocks == (
        Block("副标题"),
        Block("一、第一部分", heading_level=2),
        Block("要点甲。"),
        Block("要点乙。"),
        Block("1. 编号一。", numbered=True),
        Block("2) 编号二。", numbered=True),
        Block("（一）小节", heading_level=3),
        Block("引用段落。"),
        Block("*书记讲过，链接很好。"),
    )


def test_markdown_several_top_headings_are_not_a_title() -> None:
    doc = markdown_document("# 一、甲\n正文。\n# 二、乙\n正文。")
    assert doc.title is None
    assert doc.blocks[0] == Block("一、甲", heading_level=1)


def test_markdown_suffixes_dispatch(tmp_path: Path) -> None:
    for name in ("a.md", "b.markdown", "C.MD"):
        doc = load_document(write(tmp_path, name, "# 标题\n\n## 一、甲\n正文。".encode()))
        assert doc.title == "标题"


def test_unknown_suffix_is_text(tmp_path: Path) -> None:
    for name in ("speech.text", "speech", "讲话.doc.txt", "x.rtf"):
        doc = load_document(write(tmp_path, name, "# 不是标题\n正文。".encode("gbk")))
        assert doc.blocks == (Block("# 不是标题"), Block("正文。"))
        assert doc.title is None


# --------------------------------------------------------------------------- docx


def make_docx(path: Path, paragraphs: list[tuple[str, str]]) -> Path:
    document = docx.Document()
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    document.save(str(path))
    return path


def test_docx_styles(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "a.docx",
        [
            ("Title", "讲话标题"),
            ("Normal", ""),
            ("Normal", "同志们："),
            ("Heading 1", "一、提高认识"),
            ("Heading 2", "（一）统一思想"),
            ("List Number", "加强领导。"),
            ("List Bullet", "强化督查。"),
            ("Normal", "\u3000\u3000正文\u200b段落。"),
        ],
    )
    doc = load_document(path)
    assert doc.title == "讲话标题"
    assert doc.blocks == (
        Block("同志们："),
        Block("一、提高认识", heading_level=1),
        Block("（一）统一思想", heading_level=2),
        Block("加强领导。", numbered=True),
        Block("强化督查。", numbered=True),
        Block("正文段落。"),
    )


def test_docx_numbering_property_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("手工编号的段落。")
    paragraph._p.get_or_add_pPr().get_or_add_numPr()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "表格甲。"
    table.cell(0, 1).text = "表格乙。"
    document.add_paragraph("表后段落。\n换行后的段落。")
    document.save(str(tmp_path / "b.docx"))
    doc = load_document(tmp_path / "b.docx")
    assert doc.title is None
    assert doc.blocks == (
        Block("手工编号的段落。", numbered=True),
        Block("表格甲。"),
        Block("表格乙。"),
        Block("表后段落。"),
        Block("换行后的段落。"),
    )


def test_docx_not_a_zip(tmp_path: Path) -> None:
    path = write(tmp_path, "fake.docx", "其实是文本。".encode())
    with pytest.raises(ManuscriptError, match=r"fake\.docx is not a valid \.docx"):
        load_document(path)


def test_docx_zip_without_document(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ManuscriptError, match=r"broken\.docx is not a valid \.docx"):
        load_document(path)


def test_docx_without_text(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "blank.docx", [("Normal", ""), ("Normal", "\u3000")])
    with pytest.raises(ManuscriptError, match=r"blank\.docx contains no text"):
        load_document(path)


def test_document_is_frozen() -> None:
    doc = Document(blocks=(Block("甲"),))
    with pytest.raises(AttributeError):
        doc.title = "x"  # type: ignore[misc]
