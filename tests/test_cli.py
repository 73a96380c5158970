"""The command line: help, exit codes and one-line errors that leave the previous pack alone."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fake_edge import FakeEdge, fake_edge  # noqa: F401  (a fixture)

from audiopack.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    """Every command and subcommand the CLI really has, so a new one cannot miss its help."""
    found: list[list[str]] = []
    for name, command in sorted(group.commands.items()):
        found.append([*prefix, name])
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


COMMANDS = _commands(main)


def test_the_command_list_is_the_real_one() -> None:
    assert {"build", "outline", "watch", "voices", "serve", "cache"} <= {c[0] for c in COMMANDS}
    assert ["cache", "prune"] in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "audiopack" in result.output


def _pack_with_file(tmp_path: Path) -> tuple[Path, bytes]:
    out = tmp_path / "pack"
    out.mkdir()
    (out / "index.json").write_text('{"previous": true}', "utf-8")
    return out, (out / "index.json").read_bytes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\t\r\n\xe3\x80\x80\n", "whitespace"),
        (bytes(range(256)) * 8, "binary"),
    ],
    ids=["empty", "blank", "binary"],
)
def test_bad_manuscripts_fail_cleanly(tmp_path: Path, content: bytes, message: str) -> None:
    script = tmp_path / "bad.txt"
    script.write_bytes(content)
    out, before = _pack_with_file(tmp_path)
    result = CliRunner().invoke(main, ["build", str(script), "-o", str(out), "--engine", "espeak"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert message in result.output.lower()
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert (out / "index.json").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["index.json"]


def test_missing_manuscript(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1
    assert "not found" in result.output.lower() or "no such" in result.output.lower()
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("option", "value"),
    [("--rate", "fast"), ("--volume", "10"), ("--pitch", "+5%"), ("--jobs", "0"),
     ("--pause-point", "-1"), ("--proxy", "socks")],
)  # fmt: skip
def test_bad_option_values_fail_before_work(
    short_script: Path, tmp_path: Path, option: str, value: str
) -> None:
    out = tmp_path / "pack"
    result = CliRunner().invoke(main, ["build", str(short_script), "-o", str(out), option, value])
    assert result.exit_code == 1
    assert option in result.output and value in result.output
    assert not out.exists()


def test_usage_error_exit_code_2(short_script: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(short_script), "--engine", "nonsense"])
    assert result.exit_code == 2


def test_outline_json_shape(short_script: Path) -> None:
    result = CliRunner().invoke(main, ["outline", str(short_script), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["title"] == "关于学习的几点体会"
    assert [c["kind"] for c in data["chapters"]] == ["opening", "section", "section", "closing"]
    assert [len(c["points"]) for c in data["chapters"]] == [1, 3, 3, 1]
    assert set(data["chapters"][1]["points"][0]) == {"title", "text"}


def test_outline_of_the_sample() -> None:
    sample = Path(__file__).parent.parent / "script" / "从严治党专题会议讲话.txt"
    result = CliRunner().invoke(main, ["outline", str(sample), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [len(c["points"]) for c in data["chapters"]] == [1, 5, 4, 5, 4, 1]
    assert data["chapters"][1]["title"] == "一、坚定共产主义信仰，培养高尚思想情怀"


def test_outline_speech_shows_spoken_text(short_script: Path, tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text("推进*高质量发展，2023年增长3.5%。\n", "utf-8")
    result = CliRunner().invoke(main, ["outline", str(script), "--speech"])
    assert result.exit_code == 0, result.output
    assert "推进某高质量发展" in result.output
    assert "百分之三点五" in result.output


def test_the_cli_layer_stays_thin() -> None:
    """The command line parses options and calls the library; all its files together stay
    within 300 lines, so work that belongs in the library cannot pile up there unseen."""
    import audiopack.cli as cli

    source = Path(cli.__file__)
    files = sorted(source.parent.rglob("*.py")) if source.name == "__init__.py" else [source]
    lines = sum(len(f.read_text("utf-8").splitlines()) for f in files)
    assert 100 < lines <= 300, f"the CLI layer has {lines} lines: move work into the library"


def test_build_prints_a_summary_and_the_dry_run_its_plan(
    short_script: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pack"
    args = ["build", str(short_script), "-o", str(out), "--engine", "espeak", "-q"]
    plan = CliRunner().invoke(main, [*args, "--dry-run"])
    assert plan.exit_code == 0, plan.output
    assert plan.output.startswith(f"{out} (engine espeak): ")
    assert "  write:      01-" in plan.output and not out.exists()
    built = CliRunner().invoke(main, args)
    assert built.exit_code == 0, built.output
    assert built.output.startswith(f"{out}: 4 chapters, 8 points, ")
    assert built.output.rstrip().endswith("files updated")


@pytest.mark.parametrize("live", [True, False], ids=["service", "unreachable"])
def test_voices_lists_both_engines(fake_edge: FakeEdge, live: bool) -> None:  # noqa: F811
    if not live:
        fake_edge.configure(voices_status=500)
    shown = CliRunner().invoke(main, ["voices", "-q"])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0] == "kokoro (offline; default zm_yunxi):"
    edge = next(i for i, line in enumerate(lines) if line.startswith("edge ("))
    assert "zm_yunxi" in {line.split()[0] for line in lines[1:edge]}
    assert ("online" in lines[edge]) is live and "zh-CN-YunyangNeural" in lines[edge]
    assert len(lines) > edge + 1 and all(line.startswith("  zh-CN-") for line in lines[edge + 1 :])
    data = json.loads(CliRunner().invoke(main, ["voices", "--json"]).stdout)
    assert data["from_service"] is live and len(data["kokoro"]) == edge - 1
    assert data["default"] == {"edge": "zh-CN-YunyangNeural", "kokoro": "zm_yunxi"}


def test_ctrl_c_exits_130_in_one_line(short_script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import audiopack

    def interrupted(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(audiopack, "outline", interrupted)
    result = CliRunner().invoke(main, ["outline", str(short_script)])
    assert result.exit_code == 130
    assert result.output.startswith("Interrupted: ") and result.output.count("\n") == 1
