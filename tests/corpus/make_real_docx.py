"""Regenerate the .docx files of the real-text corpus: python tests/corpus/make_real_docx.py.

Each docx_sources/<name>.txt holds the published text one paragraph a line, with a marker for
the Word style the paragraph gets where the original has a heading: "# " Title, "## " Heading 1,
"### " Heading 2; any other line is a Normal paragraph. The .docx files are committed.
"""

from __future__ import annotations

from pathlib import Path

import docx

HERE = Path(__file__).parent
SOURCES = HERE / "docx_sources"
STYLES = (("### ", "Heading 2"), ("## ", "Heading 1"), ("# ", "Title"))


def paragraphs(source: Path) -> list[tuple[str, str]]:
    """(style, text) for each line of a source file."""
    result = []
    for line in source.read_text(encoding="utf-8").splitlines():
        style, text = "Normal", line
        for marker, name in STYLES:
            if line.startswith(marker):
                style, text = name, line[len(marker) :]
                break
        result.append((style, text))
    return result


def build(source: Path, path: Path) -> Path:
    document = docx.Document()
    for style, text in paragraphs(source):
        document.add_paragraph(text, style=style)
    document.core_properties.author = "audiopack tests"
    document.save(str(path))
    return path


if __name__ == "__main__":
    for src in sorted(SOURCES.glob("*.txt")):
        build(src, HERE / (src.stem + ".docx"))
