"""The command line, kept thin: parse options, call the library, print what it returns (the
modules that own an output render it), turn our errors into one-line messages."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import click

import audiopack
from audiopack.config import DEFAULT_VOICE, ENGINES, FORMATS, parse_formats
from audiopack.engines.voices import DEFAULT_KOKORO_VOICE
from audiopack.errors import AudiopackError, ConfigError

log = logging.getLogger("audiopack")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
PATH = click.Path(path_type=Path)
FILE = click.Path(path_type=Path, dir_okay=False)
FOLDER = click.Path(path_type=Path, file_okay=False)


def formats(value: str) -> str:
    """--formats: a comma-separated list, checked at parse time (a bad entry is a usage error)."""
    try:
        parse_formats(value)
    except ConfigError as e:
        raise click.BadParameter(str(e).removeprefix("invalid --formats ")) from e
    return value


#: One row per option: (declarations, type, default, help). Type None lets click infer it from the
#: default, "count" counts repeats, a bool default makes a flag. The declarations may end with the
#: parameter's name: for the build options, the name of BuildConfig's field.
Row = tuple[str, Any, Any, str]

TITLE: Row = ("--title", None, None, "Pack title (default: detected, else file name).")
PROXY: Row = ("--proxy", None, None, "Proxy URL for the Edge service.")
JSON: Row = ("--json as_json", None, False, "Print the result as JSON.")
VERBOSITY: list[Row] = [("-v --verbose", "count", 0, "More log output (-vv: debug)."),
                        ("-q --quiet", None, False, "No progress bars or warnings.")]  # fmt: skip
SPEECH_OPTIONS: list[Row] = [
    ("--placeholder", None, "某", "How redaction marks (*, ××, XXX) are read; '' drops them."),
    ("--lexicon", FILE, None, "Pronunciation rules file (one 词=读法 a line)."),
]
STRUCTURE_OPTIONS: list[Row] = [
    ("--split", None, "auto",
     "Divide chapters longer than N minutes at their next heading level (auto: 20, off)."),
    ("--read-boilerplate/--no-read-boilerplate", None, False,
     "Also read an official document's header (版头), notes (附注) and imprint (版记)."),
]  # fmt: skip

BUILD_OPTIONS: list[Row] = [
    ("-o --output", PATH, None, "Pack folder [default: output/<manuscript name>]."),
    TITLE,
    ("--engine", click.Choice(ENGINES), "auto", "Speech engine; auto uses the Edge voices when "
     "reachable, else Kokoro (offline), else eSpeak NG."),
    ("--voice", None, None, f"Voice (audiopack voices) [default: {DEFAULT_VOICE} for edge, "
     f"{DEFAULT_KOKORO_VOICE} for kokoro]."),
    ("--rate", None, "+0%", "Speaking rate, e.g. +10%."),
    ("--volume", None, "+0%", "Volume, e.g. -5%."),
    ("--pitch", None, "+0Hz", "Pitch, e.g. +2Hz."),
    PROXY,
    ("--jobs", int, 4, "Requests in flight to the Edge service."),
    ("--pause-sentence pause_sentence_s", float, 0.4, "Silence between sentences (s)."),
    ("--pause-point pause_point_s", float, 0.8, "Silence between points (s)."),
    ("--pause-heading pause_heading_s", float, 1.0, "Silence after a section heading (s)."),
    *SPEECH_OPTIONS,
    ("--formats", formats, "both", f"Comma-separated: {', '.join(FORMATS)} (chapter MP3s, "
     "M4B book, book as one MP3); both = mp3,m4b."),
    *((f"--{role}", FILE, None, f"Your own audio {where} (any format; levelled, trimmed, faded).")
      for role, where in (("intro", "before the opening"), ("outro", "after the last chapter"),
                          ("chime", "before each chapter after the first"))),
    ("--cache-dir", FOLDER, None, "Share a segment cache between packs [default: "
     "<pack>/.audiopack]."),
    ("--cover", FILE, None, "Cover image to embed instead of the generated one."),
    ("--lrc-encoding", click.Choice(["utf-8", "gb18030"]), "utf-8", "Encoding of the .lrc lyrics."),
    ("--artist", None, "audiopack", "Artist tag."),
    *STRUCTURE_OPTIONS,
]  # fmt: skip


def command(group: click.Group, *rows: Row, name: str | None = None) -> Callable[..., Any]:
    """A command of ``group`` with the options of ``rows`` and -v/-q, whose body's errors are
    reported in one line: an AudiopackError exits 1, Ctrl-C exits 130 quietly."""

    def decorate(func: Callable[..., Any]) -> Any:
        @functools.wraps(func)
        def run(*args: Any, verbose: int, quiet: bool, **kw: Any) -> Any:
            level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
            logging.basicConfig(level=logging.ERROR if quiet else level, stream=sys.stderr,
                                format="%(levelname)s: %(message)s", force=True)  # fmt: skip
            logging.getLogger("jieba").setLevel(logging.WARNING)
            logging.getLogger("watchfiles").setLevel(logging.ERROR)  # it warns on Ctrl-C
            try:
                return func(*args, **kw)
            except AudiopackError as e:
                log.debug("details of the error below", exc_info=True)
                click.echo(f"Error: {e}", err=True)
                sys.exit(1)
            except KeyboardInterrupt:
                click.echo("Interrupted: the previous pack is unchanged; run again to continue.",
                           err=True)  # fmt: skip
                sys.exit(130)

        for decls, kind, default, text in reversed([*rows, *VERBOSITY]):
            more = {"count": True} if kind == "count" else {"type": kind, "show_default": default
                    is not None, "is_flag": isinstance(default, bool) or None}  # fmt: skip
            run = click.option(*decls.split(), default=default, help=text, **more)(run)
        return group.command(name, context_settings=CONTEXT)(run)

    return decorate


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _import_for_good(name: str) -> None:
    """Import ``name`` without the cyclic collector, then freeze what it made: the pipeline's
    hundred thousand objects live as long as the process, and walking them on the way and in
    every full collection after costs several per cent of a small rebuild."""
    enabled = gc.isenabled()
    gc.disable()
    importlib.import_module(name)
    gc.freeze()
    if enabled:
        gc.enable()


@click.group(context_settings=CONTEXT)
@click.version_option(audiopack.__version__, "--version", prog_name="audiopack")
def main() -> None:
    """Turn a Chinese speech manuscript into a chaptered audio study pack."""
    # The process is ours here, not in the library: audiopack does no linear algebra, and
    # numpy's OpenBLAS would start a thread pool per core on import. A user's setting wins.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    # What a command imports on its way lives as long as the process: walk it less often.
    gc.set_threshold(max(gc.get_threshold()[0], 20_000), *gc.get_threshold()[1:])
    # Few glibc malloc arenas (M_ARENA_MAX): the encoding threads free numpy buffers of a few
    # hundred kilobytes per piece, and per-thread arenas would keep them, fragmented, so a long
    # book's resident memory would creep up piece after piece.
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).mallopt(-8, 2)


@command(main, *BUILD_OPTIONS, JSON,
         ("--dry-run", None, False, "Show what would be synthesised and written."))  # fmt: skip
@click.argument("script", type=PATH)
def build(script: Path, as_json: bool, dry_run: bool, **kw: Any) -> None:
    """Build (or update) the audio study pack of a manuscript.

    \b
    Example:
      audiopack build script/从严治党专题会议讲话.txt
      audiopack build speech.docx -o packs/speech --engine espeak --json
    """
    _import_for_good("audiopack.pipeline")
    if dry_run:
        report = audiopack.plan(script, **kw)
        click.echo(_dumps(report.as_json()) if as_json else report.text())
        return
    from audiopack.progress import terminal_progress

    # Progress bars for a person at a terminal who has not asked for quiet (-q) or JSON.
    bars = terminal_progress(not as_json and log.isEnabledFor(logging.WARNING))
    result = audiopack.build(script, progress=bars, **kw)
    click.echo(_dumps(result.as_json()) if as_json else result.summary())


@command(main, TITLE, JSON,
         ("--speech", None, False, "Show the spoken text beside the displayed text."),
         ("--engine", click.Choice(ENGINES), "kokoro" if "kokoro" in ENGINES else "espeak",
          "Engine whose speech text and pinyin --speech shows (edge reads digits itself)."),
         *SPEECH_OPTIONS, *STRUCTURE_OPTIONS)  # fmt: skip
@click.argument("script", type=PATH)
def outline(script: Path, as_json: bool, speech: bool, engine: str, placeholder: str,
            lexicon: Path | None, **kw: Any) -> None:  # fmt: skip
    """Show the chapters and points found in a manuscript, without synthesising.

    \b
    Example:
      audiopack outline script/从严治党专题会议讲话.txt
      audiopack outline speech.txt --json
    """
    from audiopack.outline_view import render

    click.echo(render(audiopack.outline(script, **kw), as_json=as_json, placeholder=placeholder,
                      speech_engine=engine if speech else None, lexicon=lexicon))  # fmt: skip


@command(main, PROXY, JSON)
def voices(proxy: str | None, as_json: bool) -> None:
    """List the Mandarin voices: Kokoro's (offline) and the Edge service's (zh-CN).

    \b
    Example:
      audiopack voices
      audiopack build speech.txt --engine kokoro --voice zm_yunxi
    """
    from audiopack.engines.voices import voice_listing, voices_text

    listing = voice_listing(proxy)
    click.echo(_dumps(listing) if as_json else voices_text(listing))


@command(main, *BUILD_OPTIONS, ("--debounce", float, 0.5,
         "Wait this long after the last save before rebuilding (s)."))  # fmt: skip
@click.argument("script", type=PATH)
def watch(script: Path, output: Path | None, debounce: float, **kw: Any) -> None:
    """Rebuild the pack incrementally whenever the manuscript is saved.

    \b
    Example:
      audiopack watch script/从严治党专题会议讲话.txt
    """
    from audiopack.watch import watch_and_build

    config = audiopack.BuildConfig(manuscript=script, output_dir=output, **kw)
    watch_and_build(config, debounce_s=debounce, report=click.echo,
                    complain=lambda line: click.echo(line, err=True))  # fmt: skip


@main.group(context_settings=CONTEXT)
def cache() -> None:
    """Inspect or prune the segment cache."""


@command(cache, ("--cache-dir", FOLDER, None, "A shared cache folder instead of the pack's own."),
         JSON, name="info")  # fmt: skip
@click.argument("pack", type=FOLDER, required=False)
def cache_info(pack: Path | None, cache_dir: Path | None, as_json: bool) -> None:
    """Show where the cache is, how many entries it holds and how large it is.

    \b
    Example:
      audiopack cache info output/从严治党专题会议讲话
    """
    from audiopack import housekeeping

    data = housekeeping.cache_info(pack, cache_dir)
    click.echo(_dumps(data) if as_json else housekeeping.describe(data))


@command(cache, ("--cache-dir", FOLDER, None, "A shared cache folder: keep what any of PACKS "
         "uses."), name="prune")  # fmt: skip
@click.argument("packs", nargs=-1, type=FOLDER)
def cache_prune(packs: tuple[Path, ...], cache_dir: Path | None) -> None:
    """Delete cache entries that no current pack uses.

    \b
    Example:
      audiopack cache prune output/从严治党专题会议讲话
    """
    from audiopack.housekeeping import prune

    removed, freed = prune(list(packs), cache_dir)
    click.echo(f"removed {removed} entries, freed {freed / 1e6:.1f} MB")


@command(main, ("--host", None, None, "Address to listen on [default: this machine's LAN "
         "address]."),
         ("--port", click.IntRange(0, 65535), 8765, "Port (0 picks a free one)."),
         ("--feed-items", click.Choice(["pack", "chapter"]), "pack",
          "feed.xml: one episode per pack (its book file) or per chapter file."))  # fmt: skip
@click.argument("folder", type=FOLDER)
def serve(
    folder: Path, host: str | None, port: int, feed_items: Literal["pack", "chapter"]
) -> None:
    """Serve a pack, or a folder of packs as a shelf, to phones on the same network.

    Prints the URL, then a QR code. A podcast feed of the pack(s) is at feed.xml.

    \b
    Example:
      audiopack serve output/从严治党专题会议讲话
      audiopack serve output --feed-items chapter
      audiopack serve output/从严治党专题会议讲话 --host 127.0.0.1 --port 0
    """
    from audiopack.serving import server as serving

    server = serving.serve(folder, host, port, feed_items=feed_items)
    click.echo(server.url)  # click.echo flushes: the URL is out before the QR code is drawn
    click.echo(serving.qr_text(server.url))
    click.echo("Open the URL on a phone on the same network; Ctrl-C stops.", err=True)
    serving.serve_forever(server)
