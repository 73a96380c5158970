"""The benchmark's manuscripts: the sample scaled ×N with every copy distinct, the
one-point edits, and the fresh folder each measured build reads its copy from."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

# Words inserted by the one-point edits, a different one per run.
EDIT_WORDS = ("同时", "并且", "而且", "此外", "另外", "总之", "当然", "确实", "其实", "毕竟")


_CN_DIGITS = "零一二三四五六七八九"


_SECTION_RE = re.compile(r"^[一二三四五六七八九十]+、")


_STOPS = "。！？；!?;"


def chinese_number(n: int) -> str:
    """1 … 99 in Chinese numerals (一, 十, 十六, 二十三)."""
    if not 1 <= n <= 99:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    text = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return text + (_CN_DIGITS[ones] if ones else "")


def _is_title_line(line: str) -> bool:
    from audiopack.text.structure import is_heading_line

    return (
        len(line) <= 40
        and not any(ch in line for ch in _STOPS + "：:")
        and not is_heading_line(line)
    )


def scaled_text(text: str, copies: int) -> str:
    """``text`` ``copies`` times, every sentence of copy k marked "（第k遍）" so none repeats.

    A title line (short, no sentence stop, first) is kept once; heading lines get "（第k遍）"
    when they stay headings with it, salutation lines ("同志们：") are kept as they are.
    """
    from audiopack.text.structure import is_heading_line, is_salutation_line

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title: list[str] = []
    if lines and _is_title_line(lines[0]):
        title, lines = [lines[0]], lines[1:]
    out = list(title)
    for k in range(1, copies + 1):
        mark = chinese_number(k)
        for line in lines:
            if is_heading_line(line):
                marked = f"{line}（第{mark}遍）"
                out.append(marked if is_heading_line(marked) else line)
            elif is_salutation_line(line):
                out.append(line)
            else:
                # Every sentence is marked: requests hold a few sentences each, so marking
                # only the paragraph's end would let the cache reuse the rest of a copy.
                marked = re.sub(r"([。！？；!?;])", rf"（第{mark}遍）\1", line)
                out.append(marked if marked != line else f"{line}第{mark}遍。")
    return "\n".join(out) + "\n"


def edit_line_index(lines: Sequence[str]) -> int:
    """The paragraph the one-point edit changes: the second paragraph of the third section
    (or of the last section when there are fewer), else a paragraph in the middle."""
    headings = [i for i, line in enumerate(lines) if _SECTION_RE.match(line.strip())]
    if headings:
        start = headings[min(2, len(headings) - 1)]
        body = [i for i in range(start + 1, len(lines))
                if lines[i].strip() and not _SECTION_RE.match(lines[i].strip())
                and any(ch in lines[i] for ch in "。！？")]  # fmt: skip
        if body:
            return body[min(1, len(body) - 1)]
    prose = [i for i, line in enumerate(lines) if "。" in line]
    if not prose:
        raise ValueError("the manuscript has no sentence ending in 。 to edit")
    return prose[len(prose) // 2]


def edited_text(text: str, run: int) -> str:
    """``text`` with one sentence of one point changed: its first "。" becomes "，<word>。"."""
    lines = text.splitlines()
    index = edit_line_index(lines)
    word = EDIT_WORDS[run % len(EDIT_WORDS)] + (
        "" if run < len(EDIT_WORDS) else chinese_number(run // len(EDIT_WORDS))
    )
    lines[index] = lines[index].replace("。", f"，{word}。", 1)
    return "\n".join(lines) + "\n"


def fresh_script(folder: Path, name: str, text: str) -> Path:
    """The manuscript ``name`` holding ``text``, alone in ``folder`` (emptied of an earlier
    run's files): where one measured build starts."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    script = folder / name
    script.write_text(text, encoding="utf-8")
    return script
