"""Where a text's closing starts: the remarks after its last section's numbered points, a
"同志们，" paragraph, a closing appeal ("让我们…", "最后，祝…"); and the sign-off after it."""

from __future__ import annotations

from audiopack.text.structure.lines import (
    CLOSING_APPEAL,
    CLOSING_SUMMARY,
    starts_with_closing_salutation,
)
from audiopack.text.structure.points import Pt, plain

#: In a text without headings, a closing appeal counts only among its last paragraphs.
UNSTRUCTURED_CLOSING_MAX_POINTS = 2


def split_closing(points: list[Pt]) -> tuple[list[Pt], list[Pt]]:
    """Cut the closing remarks off the last section's points: (section points, closing)."""
    numbered = [k for k, p in enumerate(points) if p.numbered]
    last = numbered[-1] if numbered else None
    start = last + 1 if last is not None else 1  # keep at least one point in the section

    def tail_ok(k: int) -> bool:
        # A closing holds no subsection; a heading after the cut means we are still inside.
        return not any(p.is_heading for p in points[k:])

    for k in range(start, len(points)):
        text = points[k].text
        if (starts_with_closing_salutation(text) or CLOSING_SUMMARY.match(text)) and tail_ok(k):
            return points[:k], points[k:]
    if (
        last is not None
        and last + 1 < len(points)
        and not points[last].is_heading
        and tail_ok(last + 1)
    ):
        return points[: last + 1], points[last + 1 :]
    return points, []


def split_unstructured_closing(points: list[Pt]) -> tuple[list[Pt], list[Pt]]:
    """A text without headings: its closing is a "同志们，" or appeal paragraph at its end, or
    the one paragraph after a run of numbered points (一、… 七、 then "…要妥善安排…")."""
    first = max(1, len(points) - UNSTRUCTURED_CLOSING_MAX_POINTS)
    for k in range(first, len(points)):
        text = points[k].text
        if (
            starts_with_closing_salutation(text)
            or CLOSING_APPEAL.match(text)
            or CLOSING_SUMMARY.match(text)
        ):
            return points[:k], points[k:]
    numbered = [k for k, p in enumerate(points) if p.numbered]
    if len(numbered) >= 2 and numbered[-1] + 2 == len(points):
        return points[: numbered[-1] + 1], points[numbered[-1] + 1 :]
    return points, []


def add_sign_off(
    points: list[Pt], closing: list[Pt], sign_off: list[str]
) -> tuple[list[Pt], list[Pt]]:
    """(points, closing) with the sign-off lines (特此通知, signature, date, 谢谢大家) joined to
    the last closing point, else to the last point of the body: never a point of their own."""
    if not sign_off:
        return points, closing
    text = "\n".join(sign_off)
    if closing:
        return points, [*closing[:-1], closing[-1].joined(text)]
    if points:
        return [*points[:-1], points[-1].joined(text)], closing
    return points, [plain(text)]
