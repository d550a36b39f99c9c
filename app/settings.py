"""Where the application keeps its settings (window layout, recent files) and its crash-recovery files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "NeuroCanvas"
APPLICATION = "NeuroCanvas"
MAX_RECENT = 10


def settings() -> QSettings:
    """The user's settings, an INI file (tests point ``QSettings.setPath`` at a temporary folder)."""
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)


def recovery_dir() -> Path:
    """The folder of autosaved recovery files, beside the settings file."""
    folder = Path(settings().fileName()).parent / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def recent_files() -> list[str]:
    value = settings().value("recent_files", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or []) if Path(str(v)).exists()]


def add_recent_file(path: str) -> None:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files() if f != path]
    settings().setValue("recent_files", files[:MAX_RECENT])
