"""Running the project's Python in a fresh process, for tests of what
happens at start-up (settings read from the environment, commands)."""

import os
import subprocess
import sys
from collections.abc import Iterable
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
