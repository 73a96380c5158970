"""The command line: parse options, call the library, turn our errors into one-line messages."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from audiopack import __version__
from audiopack.config import DEFAULT_VOICE, ENGINES, FORMATS, BuildConfig, parse_formats
from audiopack.engines.voices import DEFAULT_KOKORO_VOICE
from audiopack.errors import AudiopackError, ConfigError

log = logging.getLogger("audiopack")

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class TqdmProgress:
    """A progress bar on stderr (tqdm); one bar per stage."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, label: str, total: int) -> None:
        from tqdm import tqdm

        self.finish()
        self._bar = tqdm(
            total=total, desc=label, unit="", file=sys.stderr, leave=False, dynamic_ncols=True
        )

    def advance(self, amount: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(amount)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING
    if verbose:
        level = logging.DEBUG if verbose > 1 else logging.INFO
    if quiet:
        level = logging.ERROR
    logging.basicConfig(
        level=level, format="%(levelname)s: %(message)s", stream=sys.stderr, force=True
    )
    logging.getLogger("jieba").setLevel(logging.WARNING)
    logging.getLogger("watchfiles").setLevel(logging.ERROR)  # it warns on Ctrl-C


@contextlib.contextmanager
def _long_lived_imports() -> Iterator[None]:
    """Load modules without the cyclic collector, then freeze what they made.

    Importing the pipeline creates some hundred thousand objects that live as long as the
    process; the collector would walk them dozens of times on the way (about 20 ms, several
    per cent of a rebuild after a one-sentence edit) and in every full collection after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _run(action: Callable[[], None]) -> None:
    """Run a command body: our errors become one line and exit 1; Ctrl-C exits 130 quietly."""
    try:
        action()
    except AudiopackError as e:
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            log.debug("details of the error below", exc_info=True)
        click.echo(f"Error: {e}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted: the previous pack is unchanged; run again to continue.", err=True)
        sys.exit(130)


def common_options(func: F) -> F:
    func = click.option("-v", "--verbose", count=True, help="More log output (-vv: debug).")(func)
    func = click.option("-q", "--quiet", is_flag=True, help="No progress bars or warnings.")(func)
    return func


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="audiopack")
def main() -> None:
    """Turn a Chinese speech manuscript into a chaptered audio study pack."""
    # The process is ours here, not in the library: audiopack does no linear algebra, and
    # numpy's OpenBLAS would start a thread pool per core on import. A user's setting wins.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    _limit_malloc_arenas()


def _limit_malloc_arenas() -> None:
    """Few glibc malloc arenas for this process: the encoding threads free numpy buffers of a
    few hundred kilobytes per piece, and per-thread arenas would keep them, fragmented, so a
    long book's resident memory would creep up piece after piece."""
    if sys.platform != "linux":
        return
    m_arena_max = -8
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(m_arena_max, 2)


def _check_formats(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parse_formats(value)
    except ConfigError as e:
        raise click.BadParameter(str(e).removeprefix("invalid --formats ")) from e
    return value


_STRUCTURE_OPTIONS = [
    click.option(
        "--split",
        default="auto",
        show_default=True,
        help="Divide chapters longer than N minutes at their next heading level (auto: 20, off).",
    ),
    click.option(
        "--read-boilerplate/--no-read-boilerplate",
        default=False,
        show_default=True,
        help="Also read an official document's header (版头), notes (附注) and imprint (版记).",
    ),
]


def _structure_options(func: F) -> F:
    for option in reversed(_STRUCTURE_OPTIONS):
        func = option(func)
    return func


def _build_options(func: F) -> F:
    options = [
        click.option(
            "-o",
            "--output",
            "output",
            type=click.Path(path_type=Path),
            default=None,
            help="Pack folder [default: output/<manuscript name>].",
        ),
        click.option(
            "--title", default=None, help="Pack title (default: detected, else file name)."
        ),
        click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default="auto",
            show_default=True,
            help="Speech engine; auto uses the Edge voices when reachable, else Kokoro "
            "(offline), else eSpeak NG.",
        ),
        click.option(
            "--voice",
            default=None,
            help=f"Voice (audiopack voices) [default: {DEFAULT_VOICE} for edge, "
            f"{DEFAULT_KOKORO_VOICE} for kokoro].",
        ),
        click.option("--rate", default="+0%", show_default=True, help="Speaking rate, e.g. +10%."),
        click.option("--volume", default="+0%", show_default=True, help="Volume, e.g. -5%."),
        click.option("--pitch", default="+0Hz", show_default=True, help="Pitch, e.g. +2Hz."),
        click.option("--proxy", default=None, help="Proxy URL for the Edge service."),
        click.option(
            "--jobs",
            type=int,
            default=4,
            show_default=True,
            help="Requests in flight to the Edge service.",
        ),
        click.option(
            "--pause-sentence",
            type=float,
            default=0.4,
            show_default=True,
            help="Silence between sentences (s).",
        ),
        click.option(
            "--pause-point",
            type=float,
            default=0.8,
            show_default=True,
            help="Silence between points (s).",
        ),
        click.option(
            "--pause-heading",
            type=float,
            default=1.0,
            show_default=True,
            help="Silence after a section heading (s).",
        ),
        click.option(
            "--placeholder",
            default="某",
            show_default=True,
            help="How redaction marks (*, ××, XXX) are read; '' drops them.",
        ),
        click.option(
            "--lexicon",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Pronunciation rules file (one 词=读法 a line).",
        ),
        click.option(
            "--formats",
            default="both",
            show_default=True,
            callback=_check_formats,
            help=f"Comma-separated: {', '.join(FORMATS)} (chapter MP3s, M4B book, book as one "
            "MP3); both = mp3,m4b.",
        ),
        *(
            click.option(
                f"--{role}",
                type=click.Path(path_type=Path, dir_okay=False),
                default=None,
                help=f"Your own audio {where} (any format; levelled, trimmed, faded).",
            )
            for role, where in (
                ("intro", "before the opening"),
                ("outro", "after the last chapter"),
                ("chime", "before each chapter after the first"),
            )
        ),
        click.option(
            "--cache-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            help="Share a segment cache between packs [default: <pack>/.audiopack].",
        ),
        click.option(
            "--cover",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Cover image to embed instead of the generated one.",
        ),
        click.option(
            "--lrc-encoding",
            type=click.Choice(["utf-8", "gb18030"]),
            default="utf-8",
            show_default=True,
            help="Encoding of the .lrc lyrics.",
        ),
        click.option("--artist", default="audiopack", show_default=True, help="Artist tag."),
        *_STRUCTURE_OPTIONS,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _config(script: Path, kw: dict[str, Any]) -> BuildConfig:
    return BuildConfig(
        manuscript=script, output_dir=kw["output"], title=kw["title"], engine=kw["engine"],
        voice=kw["voice"], rate=kw["rate"], volume=kw["volume"], pitch=kw["pitch"],
        proxy=kw["proxy"], jobs=kw["jobs"], pause_sentence_s=kw["pause_sentence"],
        pause_point_s=kw["pause_point"], pause_heading_s=kw["pause_heading"],
        placeholder=kw["placeholder"], lexicon=kw["lexicon"], formats=kw["formats"],
        cache_dir=kw["cache_dir"], cover=kw["cover"], lrc_encoding=kw["lrc_encoding"],
        artist=kw["artist"], intro=kw["intro"], outro=kw["outro"], chime=kw["chime"],
        split=kw["split"], read_boilerplate=kw["read_boilerplate"],
    )  # fmt: skip


@main.command(context_settings=CONTEXT)
@click.argument("script", type=click.Path(path_type=Path))
@_build_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the result.")
@click.option("--dry-run", is_flag=True, help="Show what would be synthesised and written.")
@common_options
def build(script: Path, as_json: bool, dry_run: bool, verbose: int, quiet: bool, **kw: Any) -> None:
    """Build (or update) the audio study pack of a manuscript.

    \b
    Example:
      audiopack build script/从严治党专题会议讲话.txt
      audiopack build speech.docx -o packs/speech --engine espeak --json
    """
    _setup_logging(verbose, quiet)

    def action() -> None:
        with _long_lived_imports():
            from audiopack import pipeline

        config = _config(script, kw)
        quiet_bars = quiet or as_json or not sys.stderr.isatty()
        progress = None if quiet_bars else TqdmProgress()
        if dry_run:
            report = pipeline.plan_build(config, progress)
            if as_json:
                click.echo(json.dumps(report.as_json(), ensure_ascii=False))
            else:
                _print_dry_run(report.as_json())
            return
        result = pipeline.build(config, progress)
        if as_json:
            click.echo(json.dumps(result.as_json(), ensure_ascii=False))
            return
        from audiopack.texts import format_time

        click.echo(
            f"{result.pack}: {result.chapters} chapters, {result.points} points, "
            f"{format_time(result.duration_s)} of audio ({result.engine}); "
            f"{result.synthesized} synthesised, {result.reused} reused, "
            f"{len(result.changed)} files updated"
        )

    _run(action)


def _print_dry_run(report: dict[str, Any]) -> None:
    click.echo(
        f"{report['pack']} (engine {report['engine']}): "
        f"{len(report['synthesize'])} to synthesise, {report['reused']} reused"
    )
    for text in report["synthesize"]:
        click.echo(f"  synthesise: {text[:40]}")
    for name in report["changed"]:
        click.echo(f"  write:      {name}")
    for name in report["removed"]:
        click.echo(f"  remove:     {name}")


@main.command(context_settings=CONTEXT)
@click.argument("script", type=click.Path(path_type=Path))
@click.option("--title", default=None, help="Pack title (default: detected, else file name).")
@click.option("--json", "as_json", is_flag=True, help="Print the outline as one JSON object.")
@click.option("--speech", is_flag=True, help="Show the spoken text beside the displayed text.")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="kokoro" if "kokoro" in ENGINES else "espeak",
    show_default=True,
    help="Engine whose speech text and pinyin --speech shows (edge reads digits itself).",
)
@click.option("--placeholder", default="某", show_default=True, help="Reading of * and ××.")
@click.option(
    "--lexicon",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Pronunciation rules file.",
)
@_structure_options
@common_options
def outline(
    script: Path,
    title: str | None,
    as_json: bool,
    speech: bool,
    engine: str,
    placeholder: str,
    lexicon: Path | None,
    split: str,
    read_boilerplate: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Show the chapters and points found in a manuscript, without synthesising.

    \b
    Example:
      audiopack outline script/从严治党专题会议讲话.txt
      audiopack outline speech.txt --json
    """
    _setup_logging(verbose, quiet)

    def action() -> None:
        from audiopack.outline_view import outline_dict, outline_text
        from audiopack.structure import load_manuscript

        manuscript = load_manuscript(
            script, title=title, read_boilerplate=read_boilerplate, split=split
        )
        if speech:
            from audiopack.engines import input_form
            from audiopack.outline_view import speech_outline, speech_text
            from audiopack.speech import SpeechOptions, load_lexicon

            options = SpeechOptions(
                numbers=engine != "edge",
                placeholder=placeholder,
                lexicon=load_lexicon(lexicon),
                input_form=input_form(engine),
            )
            if as_json:
                shown = speech_outline(manuscript, options)
                click.echo(json.dumps(shown, ensure_ascii=False, indent=1))
            else:
                click.echo(speech_text(manuscript, options))
        elif as_json:
            click.echo(json.dumps(outline_dict(manuscript), ensure_ascii=False, indent=1))
        else:
            click.echo(outline_text(manuscript))

    _run(action)


@main.command(context_settings=CONTEXT)
@click.option("--proxy", default=None, help="Proxy URL for the Edge service.")
@click.option("--json", "as_json", is_flag=True, help="Print the voices as JSON.")
@common_options
def voices(proxy: str | None, as_json: bool, verbose: int, quiet: bool) -> None:
    """List the Mandarin voices: Kokoro's (offline) and the Edge service's (zh-CN).

    \b
    Example:
      audiopack voices
      audiopack build speech.txt --engine kokoro --voice zm_yunxi
    """
    _setup_logging(verbose, quiet)

    def action() -> None:
        import asyncio

        from audiopack.engines.edge import list_voices
        from audiopack.engines.voices import KOKORO_VOICES

        found, from_service = asyncio.run(list_voices(proxy=proxy, locale_prefix="zh-CN"))
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "from_service": from_service,
                        "voices": [asdict(v) for v in found],
                        "kokoro": [asdict(v) for v in KOKORO_VOICES],
                        "default": {"edge": DEFAULT_VOICE, "kokoro": DEFAULT_KOKORO_VOICE},
                    },
                    ensure_ascii=False,
                )
            )
            return
        click.echo(f"kokoro (offline; default {DEFAULT_KOKORO_VOICE}):")
        for voice in KOKORO_VOICES:
            click.echo(f"  {voice.short_name:<34} {voice.gender:<7} {voice.description}".rstrip())
        click.echo(f"edge (online; default {DEFAULT_VOICE}):")
        if not from_service:
            click.echo("(the Edge service is unreachable: built-in list)", err=True)
        for voice in found:
            click.echo(f"  {voice.short_name:<34} {voice.gender:<7} {voice.description}".rstrip())

    _run(action)


@main.command(context_settings=CONTEXT)
@click.argument("script", type=click.Path(path_type=Path))
@_build_options
@click.option(
    "--debounce",
    type=float,
    default=0.5,
    show_default=True,
    help="Wait this long after the last save before rebuilding (s).",
)
@common_options
def watch(script: Path, debounce: float, verbose: int, quiet: bool, **kw: Any) -> None:
    """Rebuild the pack incrementally whenever the manuscript is saved.

    \b
    Example:
      audiopack watch script/从严治党专题会议讲话.txt
    """
    _setup_logging(verbose, quiet)

    def action() -> None:
        from audiopack.watch import watch_and_build

        config = _config(script, kw)
        watch_and_build(
            config,
            debounce_s=debounce,
            report=lambda line: click.echo(line),
            complain=lambda line: click.echo(line, err=True),
        )

    _run(action)


@main.group(context_settings=CONTEXT)
def cache() -> None:
    """Inspect or prune the segment cache."""


@cache.command("info", context_settings=CONTEXT)
@click.argument("pack", type=click.Path(path_type=Path, file_okay=False), required=False)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="A shared cache folder instead of the pack's own.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def cache_info(pack: Path | None, cache_dir: Path | None, as_json: bool) -> None:
    """Show where the cache is, how many entries it holds and how large it is.

    \b
    Example:
      audiopack cache info output/从严治党专题会议讲话
    """

    def action() -> None:
        from audiopack.housekeeping import cache_info as info

        data = info(pack, cache_dir)
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False))
        else:
            click.echo(
                f"{data['cache']}: {data['segments']} segments, {data['pieces']} pieces, "
                f"{data['bytes'] / 1e6:.1f} MB; {data['unused']} entries unused by the pack"
            )

    _run(action)


@cache.command("prune", context_settings=CONTEXT)
@click.argument("packs", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="A shared cache folder: keep what any of PACKS uses.",
)
def cache_prune(packs: tuple[Path, ...], cache_dir: Path | None) -> None:
    """Delete cache entries that no current pack uses.

    \b
    Example:
      audiopack cache prune output/从严治党专题会议讲话
    """

    def action() -> None:
        from audiopack.housekeeping import prune

        removed, freed = prune(list(packs), cache_dir)
        click.echo(f"removed {removed} entries, freed {freed / 1e6:.1f} MB")

    _run(action)


@main.command(context_settings=CONTEXT)
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--host", default=None, help="Address to listen on [default: this machine's LAN address]."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port (0 picks a free one).",
)
@click.option(
    "--feed-items",
    type=click.Choice(["pack", "chapter"]),
    default="pack",
    show_default=True,
    help="feed.xml: one episode per pack (its book file) or per chapter file.",
)
@common_options
def serve(
    folder: Path, host: str | None, port: int, feed_items: str, verbose: int, quiet: bool
) -> None:
    """Serve a pack, or a folder of packs as a shelf, to phones on the same network.

    Prints the URL, then a QR code. A podcast feed of the pack(s) is at feed.xml.

    \b
    Example:
      audiopack serve output/从严治党专题会议讲话
      audiopack serve output --feed-items chapter
      audiopack serve output/从严治党专题会议讲话 --host 127.0.0.1 --port 0
    """
    _setup_logging(verbose, quiet)

    def action() -> None:
        from audiopack import serve as serving

        server = serving.serve(
            folder, host, port, feed_items="chapter" if feed_items == "chapter" else "pack"
        )
        click.echo(server.url)
        sys.stdout.flush()
        click.echo(serving.qr_text(server.url))
        click.echo("Open the URL on a phone on the same network; Ctrl-C stops.", err=True)
        sys.stdout.flush()
        serving.serve_forever(server)

    _run(action)
