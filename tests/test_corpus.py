"""Golden outlines: every manuscript in tests/corpus parses to its hand-written .expected.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from audiopack.outline_view import outline_dict, outline_text
from audiopack.text.structure import load_manuscript

CORPUS = Path(__file__).parent / "corpus"
SAMPLE = Path(__file__).parent.parent / "script" / "从严治党专题会议讲话.txt"
ALL_MANUSCRIPTS = sorted(
    p
    for p in CORPUS.iterdir()
    if p.suffix in (".txt", ".md", ".docx")
    and not p.name.startswith(".")
    and p.name != "SOURCES.md"
)
# The first wave has exact outlines (.expected.json); the real texts have hand-made goldens
# (.golden.json, kinds, titles and point counts) checked by their own harness.
MANUSCRIPTS = [p for p in ALL_MANUSCRIPTS if p.with_suffix(".expected.json").is_file()]


def _expected(path: Path) -> dict[str, object]:
    golden = path.with_name(path.name.rsplit(".", 1)[0] + ".expected.json")
    result: dict[str, object] = json.loads(golden.read_text(encoding="utf-8"))
    return result


def test_corpus_is_complete() -> None:
    assert len(MANUSCRIPTS) >= 9
    for path in ALL_MANUSCRIPTS:
        stem = path.name.rsplit(".", 1)[0]
        assert (
            path.with_name(stem + ".expected.json").is_file()
            or path.with_name(stem + ".golden.json").is_file()
        ), path


@pytest.mark.parametrize("path", MANUSCRIPTS, ids=lambda p: p.name)
def test_golden_outline(path: Path) -> None:
    got = outline_dict(load_manuscript(path))
    expected = _expected(path)
    assert got["title"] == expected["title"]
    got_chapters = got["chapters"]
    exp_chapters = expected["chapters"]
    assert isinstance(exp_chapters, list)
    # Compare chapter by chapter first so a failure names the place, then the whole.
    assert [(c["kind"], c["title"], len(c["points"])) for c in got_chapters] == [
        (c["kind"], c["title"], len(c["points"])) for c in exp_chapters
    ]
    for got_chapter, exp_chapter in zip(got_chapters, exp_chapters, strict=True):
        for got_point, exp_point in zip(got_chapter["points"], exp_chapter["points"], strict=True):
            assert got_point == exp_point
    assert got == expected
    # The exact key order is part of the contract (JSON output of `audiopack outline --json`).
    assert list(got) in (["title", "chapters"], ["title", "chapters", "document"])
    assert all(list(c) == ["kind", "title", "points"] for c in got_chapters)


@pytest.mark.parametrize("path", MANUSCRIPTS, ids=lambda p: p.name)
def test_corpus_headings_and_outline_text(path: Path) -> None:
    manuscript = load_manuscript(path)
    for chapter in manuscript.chapters:
        if chapter.kind == "section" and chapter.heading:
            # A part heading right over a section is spoken with it; the section titles it.
            assert chapter.title == chapter.heading.split("\n")[-1]
        else:
            assert chapter.heading == ""
    text = outline_text(manuscript)
    assert text.splitlines()[0].startswith(manuscript.title)
    assert len(text.splitlines()) == 1 + len(manuscript.chapters) + sum(
        len(c.points) for c in manuscript.chapters
    )


def test_corpus_files_keep_their_encodings() -> None:
    # Guards against an editor or git normalising the files that exercise the reader.
    crlf = (CORPUS / "08_bom_crlf.txt").read_bytes()
    assert crlf.startswith(b"\xef\xbb\xbf") and b"\r\n" in crlf
    gb = (CORPUS / "07_gb18030_xiangcun.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    assert "𠮷" in gb.decode("gb18030")


def test_make_docx_matches_committed_docx(tmp_path: Path) -> None:
    sys.path.insert(0, str(CORPUS))
    try:
        import make_docx
    finally:
        sys.path.remove(str(CORPUS))
    fresh = make_docx.build(tmp_path / "10_jiaoyu_docx.docx")
    committed = CORPUS / "10_jiaoyu_docx.docx"
    assert outline_dict(load_manuscript(fresh)) == outline_dict(load_manuscript(committed))


def test_unstructured_manuscript_is_one_opening_named_after_it_and_its_closing() -> None:
    m = load_manuscript(CORPUS / "06_wujiegou_zhici.txt")
    assert [(c.kind, c.heading) for c in m.chapters] == [("opening", ""), ("closing", "")]
    assert m.chapters[0].title == m.title
    assert m.chapters[1].points[0].text.startswith("最后，祝大家")


def test_numbered_flags_in_corpus() -> None:
    m = load_manuscript(CORPUS / "01_anquan_jianghua.txt")
    assert [p.numbered for p in m.chapters[1].points] == [False, True, True, True]
    docx_m = load_manuscript(CORPUS / "10_jiaoyu_docx.docx")
    assert [p.numbered for p in docx_m.chapters[1].points] == [False, True, True, True]


@pytest.mark.skipif(not SAMPLE.is_file(), reason="sample manuscript not present")
def test_sample_manuscript() -> None:
    m = load_manuscript(SAMPLE)
    assert m.title == "从严治党专题会议讲话"
    assert [c.kind for c in m.chapters] == [
        "opening",
        "section",
        "section",
        "section",
        "section",
        "closing",
    ]
    assert [len(c.points) for c in m.chapters] == [1, 5, 4, 5, 4, 1]
    assert m.chapters[1].heading == "一、坚定共产主义信仰，培养高尚思想情怀"
    assert m.chapters[-1].points[0].text.startswith("作风建设永远在路上")
    assert m.chapters[-1].title == "结束语"
