"""The Python API: what ``import audiopack`` offers a script.

>>> import audiopack
>>> result = audiopack.build("speech.txt", engine="espeak")      # doctest: +SKIP
>>> pack = audiopack.open_pack(result.pack)                       # doctest: +SKIP
>>> pack.chapters[0].audio().duration_seconds                     # doctest: +SKIP

Every function takes the manuscript as a path and the build settings as keyword options (the
fields of :class:`BuildConfig`, named like the command-line options: ``engine``, ``voice``,
``rate``, ``formats``, ``pause_sentence_s`` ...). The synchronous functions work inside a
running event loop too (a notebook, a web handler): they then do their work on a thread of
their own. The ``*_async`` variants are awaitable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from audiopack.config import BuildConfig
from audiopack.errors import ConfigError
from audiopack.model import Manuscript
from audiopack.output.packs import Pack, open_pack
from audiopack.results import BuildResult, DryRunReport

_T = TypeVar("_T")

#: The options ``build`` and ``plan`` accept: BuildConfig's fields other than the manuscript.
OPTIONS = tuple(f.name for f in dataclasses.fields(BuildConfig) if f.name != "manuscript")


def _config(
    manuscript: str | Path, output: str | Path | None, options: dict[str, Any]
) -> BuildConfig:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        known = ", ".join(o for o in OPTIONS if o != "output_dir")
        raise ConfigError(f"unknown option {unknown[0]!r}: use one of {known}")
    for name in ("lexicon", "cache_dir", "cover"):
        if isinstance(options.get(name), str):
            options[name] = Path(options[name])
    return BuildConfig(
        manuscript=Path(manuscript),
        output_dir=Path(output) if output is not None else None,
        **options,
    )


def _outside_any_loop(work: Callable[[], _T]) -> _T:
    """Run ``work`` here, or on a thread of its own when this thread runs an event loop
    (the pipeline runs its own loop, which cannot be nested)."""
    import asyncio
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="audiopack") as pool:
        return pool.submit(work).result()


def build(
    manuscript: str | Path,
    output: str | Path | None = None,
    *,
    progress: Any = None,
    **options: Any,
) -> BuildResult:
    """Build (or update) the audio study pack of ``manuscript`` in ``output``
    (default ``output/<manuscript name>``) and return what was done.

    ``progress`` is an object with ``start(label, total)``, ``advance(n)`` and ``finish()``
    (nothing is shown by default). Raises an :class:`AudiopackError`; the previous pack and
    the cache stay whole.
    """
    from audiopack import pipeline

    config = _config(manuscript, output, options)
    return _outside_any_loop(lambda: pipeline.build(config, progress))


def plan(manuscript: str | Path, output: str | Path | None = None, **options: Any) -> DryRunReport:
    """What ``build`` would synthesise and write (``--dry-run``); nothing is changed."""
    from audiopack import pipeline

    config = _config(manuscript, output, options)
    return _outside_any_loop(lambda: pipeline.plan_build(config))


def outline(
    manuscript: str | Path,
    title: str | None = None,
    *,
    split: str | float | None = "auto",
    read_boilerplate: bool = False,
) -> Manuscript:
    """The structure found in ``manuscript``: title, chapters, points, the official-document
    elements (``Manuscript.document``); no synthesis. ``split`` and ``read_boilerplate`` as
    the --split and --read-boilerplate options."""
    from audiopack.text.structure import load_manuscript

    return load_manuscript(
        Path(manuscript), title=title, split=split, read_boilerplate=read_boilerplate
    )


async def build_async(
    manuscript: str | Path,
    output: str | Path | None = None,
    *,
    progress: Any = None,
    **options: Any,
) -> BuildResult:
    """:func:`build`, awaitable: the build runs on a worker thread, the caller's loop stays free."""
    import asyncio

    return await asyncio.to_thread(build, manuscript, output, progress=progress, **options)


async def plan_async(
    manuscript: str | Path, output: str | Path | None = None, **options: Any
) -> DryRunReport:
    """:func:`plan`, awaitable."""
    import asyncio

    return await asyncio.to_thread(plan, manuscript, output, **options)


async def open_pack_async(folder: str | Path) -> Pack:
    """:func:`open_pack`, awaitable."""
    import asyncio

    return await asyncio.to_thread(open_pack, folder)
