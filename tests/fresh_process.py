"""Running the project's Python in a fresh process, for tests of what
happens at start-up (settings read from the environment, commands)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(
    args: list[str], *, without: Iterable[str] = (), **env: str
) -> subprocess.CompletedProcess:
    """``python <args>`` at the project root with this environment, minus
    every variable whose name starts with one of ``without``, plus
    ``env``; its output captured as text."""
    dropped = tuple(without)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass(frozen=True)
class LoadedSettings:
    """A fresh process that imported the settings: its exit status, its
    error output, and the settings it read, by name (None if it failed)."""

    returncode: int
    stderr: str
    values: dict | None


def load_settings(
    names: Iterable[str], *, without: Iterable[str] = (), **env: str
) -> LoadedSettings:
    """Start Django in a fresh process with this environment (as
    ``run_python``) and read the settings ``names``; values that JSON has
    no type for come back as their ``str``."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, "
        "default=str))"
    )
    result = run_python(["-c", code], without=without, **env)
    values = json.loads(result.stdout) if result.returncode == 0 else None
    return LoadedSettings(result.returncode, result.stderr, values)
