"""The Dockerfile, checked without a Docker engine: its instructions are
parsed, and the files it copies are assembled as the build would and run
through the build's collectstatic and Django's deployment checks."""

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PINNED_BASE = re.compile(r"^python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}$")
BUILD_TOOLS = ("gcc", "build-essential", "make", "g++", "libpq-dev", "pip install")
# What the final stage may install from Debian: shared libraries the
# installed wheels load (LightGBM's OpenMP runtime), nothing to build with.
RUNTIME_LIBRARIES = {"libgomp1"}


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            pairs.append((keyword.upper(), " ".join(arguments.split())))
    return pairs


def stages(text: str) -> list[list[tuple[str, str]]]:
    """The instructions of each stage, each starting with its FROM."""
    result = []
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            result.append([])
        result[-1].append((keyword, arguments))
    return result


DOCKERFILE = (ROOT / "Dockerfile").read_text()
STAGES = stages(DOCKERFILE)
FINAL = STAGES[-1]


def final(keyword: str) -> list[str]:
    return [arguments for k, arguments in FINAL if k == keyword]


def test_every_stage_starts_from_one_base_pinned_by_release_and_digest():
    images = {stage[0][1].split()[0] for stage in STAGES}
    assert len(images) == 1, images
    assert PINNED_BASE.match(images.pop())


def test_the_final_stage_takes_only_the_installed_packages_from_the_build():
    assert len(STAGES) >= 2
    copies_from_build = [a for a in final("COPY") if a.startswith("--from=")]
    assert copies_from_build == ["--from=build /venv /venv"]


def test_the_final_stage_has_no_build_tools():
    for command in final("RUN"):
        for tool in BUILD_TOOLS:
            assert tool not in command, command
        if "apt-get install" in command:
            installed = command.split("apt-get install", 1)[1].split("&&")[0].split()
            packages = [word for word in installed if not word.startswith("-")]
            assert set(packages) <= RUNTIME_LIBRARIES, command
            assert "--no-install-recommends" in installed, command
            assert "rm -rf /var/lib/apt/lists/*" in command, command


def test_the_final_stage_runs_as_an_unprivileged_user():
    users = final("USER")
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert [k for k, _ in FINAL].index("USER") > max(
        i for i, (k, _) in enumerate(FINAL) if k == "RUN"
    ), "a RUN after USER would need the user to own the application"


def test_static_files_are_collected_at_build_time():
    assert any("collectstatic --noinput" in command for command in final("RUN"))


def test_the_image_checks_its_health_and_serves_the_web_app():
    (healthcheck,) = final("HEALTHCHECK")
    assert "fraudsite.healthcheck" in healthcheck
    (command,) = final("CMD")
    assert "daphne" in command and "fraudsite.asgi:application" in command


def build_context_excludes(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context (its
    patterns in order, the last match deciding, as Docker reads them)."""
    excluded = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        pattern = pattern.removeprefix("**/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes) or any(
            fnmatch.fnmatch(part, pattern) for part in parts
        ):
            excluded = not negated
    return excluded


def copied_sources() -> list[str]:
    """The context paths the final stage copies."""
    sources = []
    for arguments in final("COPY"):
        if arguments.startswith("--from="):
            continue
        sources.extend(arguments.split()[:-1])
    return [source.rstrip("/") for source in sources]


def test_the_build_context_holds_what_is_copied_and_no_more():
    for source in copied_sources() + ["requirements/base.txt"]:
        assert (ROOT / source).exists(), source
        assert not build_context_excludes(source), source
    for kept_out in (".git", ".venv", ".services", "tests", "db.sqlite3", ".env"):
        assert build_context_excludes(kept_out), kept_out


@pytest.fixture
def image_tree(tmp_path):
    """The files of the image's /app, copied as the Dockerfile copies them."""
    app = tmp_path / "app"
    app.mkdir()
    for source in copied_sources():
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(
                origin, app / source, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(origin, app / source)
    return app


@pytest.mark.fresh_process
def test_the_copied_files_collect_static_and_pass_the_deploy_check(image_tree):
    """What the image holds is enough: collectstatic (the build step) and
    ``check --deploy`` succeed in it with a production environment."""
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "build-check-Wq3xT9vL2mN8bK4rY7cJ1hF6gD5sA0zPeUoIiQtRwEy",
        "ALLOWED_HOSTS": "fraud.example.com",
    }
    for args in (
        ["collectstatic", "--noinput"],
        ["check", "--deploy", "--fail-level", "WARNING"],
    ):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=image_tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert (image_tree / "staticfiles" / "admin").is_dir()
    assert any((image_tree / "staticfiles").rglob("*.js"))
