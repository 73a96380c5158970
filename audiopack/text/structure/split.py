"""--split: a chapter longer than a threshold (minutes of estimated speech) is divided at its
next heading level (its subsection headings, else its numbered points), each part keeping the
higher heading in its title so that a phone can skip within a long report part."""

from __future__ import annotations

from audiopack.errors import ConfigError
from audiopack.text.structure.lines import shorten
from audiopack.text.structure.points import SUBSECTION_SEPARATOR, Pt

#: Estimated reading speed (characters a second) used to size chapters, as `outline` shows.
CHARS_PER_SECOND = 4.0
#: --split auto: a listener skips within chapters of at most about this many minutes.
AUTO_SPLIT_MINUTES = 20.0


def split_minutes(value: str | float | None) -> float | None:
    """The --split value as minutes (None = never split): "auto", "off"/"0", or minutes."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        minutes = float(value)
    elif value.strip().lower() == "auto":
        return AUTO_SPLIT_MINUTES
    elif value.strip().lower() in ("off", "none", "no"):
        return None
    else:
        try:
            minutes = float(value)
        except ValueError:
            raise ConfigError(
                f"invalid --split {value!r}: use auto, off or a number of minutes such as 15"
            ) from None
    if minutes < 0 or minutes != minutes:
        raise ConfigError(f"invalid --split {value!r}: use auto, off or minutes above 0")
    return minutes or None


def _chars(heading: str, points: list[Pt]) -> int:
    return sum(1 for ch in heading + "".join(p.text for p in points) if not ch.isspace())


def split_points(
    heading: str, points: list[Pt], minutes: float | None
) -> list[tuple[str, list[Pt]]]:
    """[(title, points)] of one chapter: itself when short enough or nothing to cut at, else
    one part per subsection (or per numbered point), titled "<heading> · <subsection>"."""
    if minutes is None or _chars(heading, points) <= minutes * 60 * CHARS_PER_SECOND:
        return [(heading, points)]
    cuts = [k for k, p in enumerate(points) if p.is_heading]
    if len(cuts) < 2:
        cuts = [k for k, p in enumerate(points) if p.numbered]
    if len(cuts) < 2:
        return [(heading, points)]
    if cuts[0] != 0:
        cuts = [0, *cuts]
    top = shorten(heading)
    parts: list[tuple[str, list[Pt]]] = []
    for n, start in enumerate(cuts):
        end = cuts[n + 1] if n + 1 < len(cuts) else len(points)
        part = points[start:end]
        first = part[0]
        if not (first.is_heading or first.numbered):
            parts.append((heading, part))
            continue
        sub = first.prefix if first.is_heading and first.prefix else first.own_title
        parts.append((f"{top}{SUBSECTION_SEPARATOR}{sub}" if top else sub, part))
    return parts
