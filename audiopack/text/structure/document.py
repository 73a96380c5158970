"""The elements of an official document (GB/T 9704-2012, 党政机关公文格式) around its body.

``take_header`` finds the 版头 at the top (份号, 密级, 紧急程度, 发文机关标志 "××××文件", 发文字号,
签发人); ``take_tail`` the parts after the body: 版记 (抄送, 印发机关和印发日期) at the very end,
附件 (each its own block of lines), 附注, 印章 text, and the sign-off (特此通知, 附件说明,
发文机关署名, 成文日期, or a speech's 谢谢大家 / signature / date). Each returns the element
texts it found and leaves every other line where it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from audiopack.model import DocumentParts
from audiopack.text.structure.lines import (
    DOC_TYPE_END,
    SIGN_OFF_PHRASE,
    SIGNATURE,
    STRONG_STOPS,
    Line,
    is_date_line,
    is_numbered,
    is_title_like,
)

_COPY_NUMBER = re.compile(r"^(?:份号[:：]?\s*)?[0-9０-９]{6}$")
_SECRECY = re.compile(r"^(?:绝密|机密|秘密)(?:\s*[★☆*]\s*\S{0,8})?$")
_URGENCY = re.compile(r"^(?:特急|加急|特提|平急)$")
_ISSUER_MARK = re.compile(r"^[^。！？；，,：:、]{2,40}(?:文件|纪要|简报|通报|公报)$")
_DOC_NUMBER = re.compile(
    r"^(?P<number>[\u4e00-\u9fff×Xx○〇·]{1,20}\s*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d{1,5}\s*号)"
    r"(?:\s+签发人\s*[:：]\s*(?P<signer>\S.*))?$"
)
_SIGNER = re.compile(r"^签发人\s*[:：]\s*\S")
_RULE = re.compile(r"^[-—─━=＝_＿★☆*·\s]{3,}$")

_ATTACHMENT_NOTE = re.compile(r"^附\s*件\s*[:：]")
_ATTACHMENT_LABEL = re.compile(
    r"^附\s*(?:件\s*[0-9０-９一二三四五六七八九十]{0,3}|录\s*[0-9０-９一二三四五六七八九十]{0,3})?\s*[:：]?$"
)
#: Endnotes of a book edition or article: "注　　释" over "〔1〕…" lines.
_NOTES_LABEL = re.compile(r"^(?:注\s*释|注|参考文献|尾\s*注)$")
_NOTE_ITEM = re.compile(r"^(?:[〔\[［(（]\s*\d{1,3}\s*[〕\]］)）]|[\u2474-\u2487\u2460-\u2473])")
_SEAL = re.compile(r"^[（(]\s*(?:印章|盖章|公章|章)\s*[）)]$")
_NOTE = re.compile(
    r"^[（(](?:此件|本件|联系人|联系电话|此页|此文)[^）)]*[）)]$"
    r"|^(?:联系人|联系电话|联系方式|咨询电话)\s*[:：]"
)
#: Where a copied text came from, at its end: "（新华社北京3月6日电）",
#: "《人民日报》（2020年03月07日 02 版）", "（来源：…）", "（责任编辑：…）".
_SOURCE_LINE = re.compile(
    r"^[（(]\s*(?:新华社|中新社|人民日报|来源|责任编辑|编辑|本报|央视|据)[^）)]{0,40}[）)]$"
    r"|^《\s*[^》]{1,20}\s*》\s*[（(][^）)]{0,30}版\s*[）)]$"
    r"|^(?:来源|责任编辑|编辑|稿源)\s*[:：]\S{1,30}$"
)
_IMPRINT = re.compile(r"^(?:抄\s*送|主\s*送|分\s*送|发\s*送)\s*[:：]|\S.*\d{1,2}\s*日\s*印\s*发$")


@dataclass
class Tail:
    """What ``take_tail`` split off the end of the lines."""

    #: Lines closing the body that are spoken: 特此通知, 附件说明, signature, date.
    sign_off: list[str] = field(default_factory=list)
    #: 附注, 印章 lines: boilerplate.
    notes: list[str] = field(default_factory=list)
    #: Each 附件: (label line, title line or "", body lines).
    attachments: list[tuple[str, str, list[Line]]] = field(default_factory=list)
    #: 版记 lines: boilerplate.
    imprint: list[str] = field(default_factory=list)
    #: Rule lines ("------") between the body and its endnotes: nothing to speak.
    rules: list[str] = field(default_factory=list)
    parts: dict[str, str] = field(default_factory=dict)


def take_header(lines: list[Line]) -> tuple[dict[str, str], list[str], list[Line]]:
    """(elements, header line texts, remaining lines): the 版头 lines at the very top."""
    parts: dict[str, str] = {}
    taken: list[str] = []
    k = 0
    while k < len(lines):
        text = lines[k].text.strip()
        if _COPY_NUMBER.match(text) and "copy_number" not in parts:
            parts["copy_number"] = text
        elif _SECRECY.match(text) and "secrecy" not in parts:
            parts["secrecy"] = text
        elif _URGENCY.match(text) and "urgency" not in parts:
            parts["urgency"] = text
        elif _ISSUER_MARK.match(text) and "doc_number" not in parts and lines[k].rank is None:
            parts["issuer_mark"] = _join(parts.get("issuer_mark"), text)
        elif (match := _DOC_NUMBER.match(text)) and "doc_number" not in parts:
            parts["doc_number"] = match.group("number")
            if match.group("signer"):
                parts["signer"] = match.group("signer").strip()
        elif _SIGNER.match(text) and "signer" not in parts:
            parts["signer"] = text.split("：", 1)[-1].split(":", 1)[-1].strip()
        elif _RULE.match(text) and taken:
            pass
        else:
            break
        taken.append(lines[k].text)
        k += 1
    # A lone "××文件"-like first line is only a header with a 文号 or other header element.
    if set(parts) <= {"issuer_mark"} and not (parts and "文件" in parts["issuer_mark"]):
        return {}, [], lines
    return parts, taken, lines[k:]


def take_doc_number(lines: list[Line], parts: dict[str, str]) -> tuple[list[str], list[Line]]:
    """A 发文字号 printed under the title (as gov.cn pages do), perhaps under the issuing
    organ's name ("中国人民银行" / "银发[1997]339号"): (taken lines, the rest)."""
    if "doc_number" in parts:
        return [], lines
    issuer = (
        len(lines) > 1
        and is_title_like(lines[0])
        and SIGNATURE.match(lines[0].text) is not None
        and _DOC_NUMBER.match(lines[1].text) is not None
    )
    if issuer:
        parts["issuer_mark"] = _join(parts.get("issuer_mark"), lines[0].text)
    first = 1 if issuer else 0
    if first < len(lines) and (match := _DOC_NUMBER.match(lines[first].text)):
        parts["doc_number"] = match.group("number")
        if match.group("signer"):
            parts["signer"] = match.group("signer").strip()
        return [line.text for line in lines[: first + 1]], lines[first + 1 :]
    return [], lines


def _join(before: str | None, text: str) -> str:
    return text if not before else f"{before}\n{text}"


def take_tail(lines: list[Line]) -> tuple[Tail, list[Line]]:
    """(tail, body lines): split the 版记, 附件, 附注 and sign-off off the end of ``lines``."""
    tail = Tail()
    end = len(lines)
    # 版记: 抄送 / 印发 lines at the very end (rules between them are part of it).
    while end > 0 and (_IMPRINT.match(lines[end - 1].text) or _RULE.match(lines[end - 1].text)):
        end -= 1
    if end < len(lines) and any(_IMPRINT.match(line.text) for line in lines[end:]):
        tail.imprint = [line.text for line in lines[end:]]
        tail.parts["imprint"] = "\n".join(
            line.text for line in lines[end:] if not _RULE.match(line.text)
        )
    else:
        end = len(lines)
    lines = lines[:end]
    lines = _take_endnotes(lines, tail)
    source = len(lines)
    while source > 1 and _SOURCE_LINE.match(lines[source - 1].text):
        source -= 1
    if source < len(lines):
        tail.notes += [line.text for line in lines[source:]]
        tail.parts["note"] = "\n".join(line.text for line in lines[source:])
        lines = lines[:source]
    # 附件: a label line ("附件" / "附件1") after the body; the first needs a sign-off before it.
    labels = [k for k, line in enumerate(lines) if _ATTACHMENT_LABEL.match(line.text) and k > 0]
    first = next(
        (
            k
            for k in labels
            if _has_sign_off_before(lines, k)
            or (k + 2 < len(lines) and is_title_like(lines[k + 1]) and k > len(lines) // 2)
        ),
        None,
    )
    if first is not None:
        found: list[tuple[str, str, list[Line]]] = []
        starts = [k for k in labels if k >= first]
        for n, start in enumerate(starts):
            stop = starts[n + 1] if n + 1 < len(starts) else len(lines)
            block = lines[start + 1 : stop]
            title = ""
            if block and is_title_like(block[0]) and len(block) > 1:
                title = block[0].text
                block = block[1:]
            found.append((lines[start].text, title, block))
        tail.attachments[:0] = found
        lines = lines[:first]
    elif (issued := _unlabelled_attachment(lines)) is not None:
        tail.attachments.insert(0, ("", lines[issued].text, lines[issued + 1 :]))
        lines = lines[:issued]
    body = _take_sign_off(lines, tail)
    return tail, body


def _take_endnotes(lines: list[Line], tail: Tail) -> list[Line]:
    """Endnotes at the end ("注释" over "〔1〕…" lines): an attachment of their own."""
    for k in range(len(lines) - 2, 0, -1):
        if _NOTES_LABEL.match(lines[k].text.replace(" ", "")):
            block = lines[k + 1 :]
            if not all(_NOTE_ITEM.match(line.text) for line in block):
                return lines
            start = k
            while start > 0 and _RULE.match(lines[start - 1].text):
                start -= 1
            tail.rules = [line.text for line in lines[start:k]]
            tail.attachments.append((lines[k].text, "", block))
            return lines[:start]
    return lines


def _unlabelled_attachment(lines: list[Line]) -> int | None:
    """Where the document a notice issues (印发) begins without an "附件" label: a title line
    after a signature and date (and notes), with more text after it."""
    for k in range(1, len(lines) - 2):
        if not is_date_line(lines[k].text):
            continue
        signed = SIGNATURE.match(lines[k - 1].text) is not None
        j = k + 1
        while j < len(lines) and (_NOTE.match(lines[j].text) or _SEAL.match(lines[j].text)):
            j += 1
        if not (j + 1 < len(lines) and is_title_like(lines[j]) and not is_date_line(lines[j].text)):
            continue
        # Without a signature (a copy that dropped it) the date must close a paragraph and
        # the title name a document kind ("…管理办法") over its headings.
        if signed or (
            lines[k - 1].text[-1:] in STRONG_STOPS
            and DOC_TYPE_END.search(lines[j].text)
            and lines[j + 1].rank is not None
        ):
            return j
    return None


def _has_sign_off_before(lines: list[Line], k: int) -> bool:
    window = [line.text for line in lines[max(0, k - 6) : k]]
    return any(is_date_line(t) or _NOTE.match(t) or _SEAL.match(t) for t in window)


def _take_sign_off(lines: list[Line], tail: Tail) -> list[Line]:
    """Walk back from the end over sign-off lines; they count only with an anchor (a date,
    特此通知, 谢谢大家, 附件说明) among them."""
    start = len(lines)
    anchored = False
    for k in range(len(lines) - 1, -1, -1):
        line = lines[k]
        text = line.text.strip()
        if _NOTE.match(text) or _SEAL.match(text):
            pass
        elif SIGN_OFF_PHRASE.match(text) or is_date_line(text) or _ATTACHMENT_NOTE.match(text):
            anchored = True
        elif is_numbered(text) and len(text) <= 60 and _attachment_note_follows(lines, k):
            pass  # "2．…办法" continuing a 附件说明
        elif not (SIGNATURE.match(text) and line.rank is None and not line.numbered):
            break
        start = k
    if not anchored or start == len(lines):
        return lines
    # The walk may have gone back past the last body paragraph's short lines: keep only
    # from the first line that is itself sign-off-like after the last paragraph.
    block = lines[start:]
    for line in block:
        text = line.text.strip()
        if _NOTE.match(text):
            tail.notes.append(line.text)
            tail.parts["note"] = _join(tail.parts.get("note"), text)
        elif _SEAL.match(text):
            tail.notes.append(line.text)
            tail.parts["seal"] = text
        else:
            tail.sign_off.append(line.text)
    _name_sign_off(tail)
    return lines[:start]


def _attachment_note_follows(lines: list[Line], k: int) -> bool:
    """A numbered short line belongs to a 附件说明 when one starts above it, numbered lines
    only in between."""
    for j in range(k - 1, -1, -1):
        text = lines[j].text
        if _ATTACHMENT_NOTE.match(text):
            return True
        if not is_numbered(text):
            return False
    return False


def _name_sign_off(tail: Tail) -> None:
    note: list[str] = []
    in_note = False
    for text in tail.sign_off:
        if _ATTACHMENT_NOTE.match(text):
            in_note = True
            note.append(text)
        elif in_note and is_numbered(text):
            note.append(text)
        else:
            in_note = False
            if is_date_line(text):
                tail.parts["date"] = text
            elif not SIGN_OFF_PHRASE.match(text):
                tail.parts["signature"] = _join(tail.parts.get("signature"), text)
    if note:
        tail.parts["attachment_note"] = "\n".join(note)


def document_parts(parts: dict[str, str]) -> DocumentParts:
    return DocumentParts(**parts)
