"""The one exception hierarchy of audiopack; the CLI turns these into one-line errors."""

from __future__ import annotations


class AudiopackError(Exception):
    """Base of every error audiopack reports to the user (exit code 1)."""


class ManuscriptError(AudiopackError):
    """The manuscript cannot be read or cannot make a pack."""


class ConfigError(AudiopackError):
    """An option value is invalid; raised before any work is done."""


class EngineUnavailableError(AudiopackError):
    """A speech engine cannot be used (library missing, service unreachable)."""


class SynthesisError(AudiopackError):
    """A speech engine failed to synthesise some text."""


class ToolError(AudiopackError):
    """An external tool (ffmpeg) is missing or failed; carries its stderr."""


class PackError(AudiopackError):
    """The pack cannot be written (unwritable folder, disk full, locked)."""
