"""Values passed between pipeline stages: frozen dataclasses holding tuples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Segment audio is 16-bit signed little-endian mono PCM at their engine's own rate (an engine's
#: ``sample_rate``, which a whole pack shares); this one is the Edge voices' and the default.
SAMPLE_RATE = 24000
SAMPLE_WIDTH = 2

#: "jingle" only for the user's own audio laid before or after the speech (index.json only).
ChapterKind = Literal["opening", "section", "closing", "attachment", "jingle"]

#: The GB/T 9704 elements a manuscript may carry, in the order of DocumentParts' fields.
DOCUMENT_KEYS = (
    "issuer_mark", "copy_number", "secrecy", "urgency", "doc_number", "signer", "addressee",
    "attachment_note", "signature", "date", "seal", "note", "imprint",
)  # fmt: skip
#: The elements that are boilerplate: not spoken unless asked for (--read-boilerplate).
BOILERPLATE_KEYS = frozenset(
    {"issuer_mark", "copy_number", "secrecy", "urgency", "doc_number", "signer", "seal", "note",
     "imprint"}
)  # fmt: skip


@dataclass(frozen=True)
class Point:
    """One paragraph-level unit of a chapter; ``text`` is exactly the displayed text."""

    title: str
    text: str
    numbered: bool = False


@dataclass(frozen=True)
class Chapter:
    kind: ChapterKind
    title: str
    points: tuple[Point, ...]
    #: The heading line as it stands in the manuscript ("一、坚定…"); spoken first. Empty if none.
    heading: str = ""


@dataclass(frozen=True)
class DocumentParts:
    """The elements of an official document (GB/T 9704-2012) found around the body, each as
    it stands in the manuscript ("" when absent); lines of one element joined by "\\n".

    Spoken elements (addressee, attachment note, signature, date) also stand in a point's
    text; boilerplate ones (BOILERPLATE_KEYS) stand only here unless read aloud.
    """

    issuer_mark: str = ""  # 发文机关标志 "××××文件"
    copy_number: str = ""  # 份号
    secrecy: str = ""  # 密级和保密期限
    urgency: str = ""  # 紧急程度
    doc_number: str = ""  # 发文字号
    signer: str = ""  # 签发人
    addressee: str = ""  # 主送机关 (or a speech's salutation)
    attachment_note: str = ""  # 附件说明
    signature: str = ""  # 发文机关署名 / the speaker
    date: str = ""  # 成文日期
    seal: str = ""  # 印章 text
    note: str = ""  # 附注
    imprint: str = ""  # 版记: 抄送, 印发机关和印发日期

    def as_dict(self) -> dict[str, str]:
        """The elements found, in DOCUMENT_KEYS order."""
        return {key: getattr(self, key) for key in DOCUMENT_KEYS if getattr(self, key)}


@dataclass(frozen=True)
class Manuscript:
    title: str
    chapters: tuple[Chapter, ...]
    document: DocumentParts = DocumentParts()
    #: Lines of the manuscript held out of every chapter (boilerplate not read aloud).
    unspoken: tuple[str, ...] = ()


@dataclass(frozen=True)
class SentenceTiming:
    """Where one sentence lies inside a segment's audio, in sample frames."""

    text: str
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class SegmentAudio:
    """What an engine returns for one segment (one request): PCM (see SAMPLE_RATE) and
    per-sentence timings. Pieces are laid out from it; pydub's AudioSegment is another thing."""

    pcm: bytes
    sentences: tuple[SentenceTiming, ...]

    @property
    def frames(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH
