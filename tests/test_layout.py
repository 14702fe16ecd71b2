"""The layout holds: which package of ``transactions_app`` may import which
(docs/architecture.md), no circle between packages, the engine and the
Kafka loop free of the frameworks above them, and no module grown past
400 lines (tests included). Read from the source, nothing imported."""

import ast
from pathlib import Path

import pytest

from tests.fresh_process import ROOT

APP = ROOT / "transactions_app"

# What each package (or top-level module) may import from the app. The
# interfaces at the top (admin, tasks, urls, operations, management) may
# import anything below them and are not listed.
ALLOWED = {
    "detection": set(),
    "streaming": {"detection"},
    "models": {"detection"},
    "connections": {"streaming"},
    "readonly_admin": set(),
    "page_security": set(),
    "alerts": {"models", "readonly_admin"},
    "live_feed": {"models", "page_security", "streaming"},
    "simulation": {"detection", "streaming"},
    "ingest": {
        "alerts",
        "connections",
        "detection",
        "models",
        "readonly_admin",
        "streaming",
    },
    "scoring": {
        "alerts",
        "detection",
        "ingest",
        "models",
        "readonly_admin",
        "simulation",
        "streaming",
    },
    "rules": {"detection", "ingest", "models", "readonly_admin", "scoring"},
    "review": {"models", "page_security", "readonly_admin", "rules", "scoring"},
    "investigations": {"detection", "models", "page_security", "review"},
    "typologies": {"models", "readonly_admin", "review", "simulation"},
    "pipeline": {
        "connections",
        "detection",
        "ingest",
        "live_feed",
        "rules",
        "streaming",
    },
}
FRAMEWORKS = ("django", "channels", "celery", "confluent_kafka", "redis")


def modules():
    for path in sorted(APP.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def part_of(path: Path) -> str:
    relative = path.relative_to(APP).parts
    return relative[0].removesuffix(".py")


def imported(path: Path) -> set[str]:
    """The absolute module names ``path`` imports, at any depth."""
    package = list(path.relative_to(ROOT).with_suffix("").parts)
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: -node.level]
                names.add(".".join(base + ([node.module] if node.module else [])))
            else:
                names.add(node.module or "")
    return names


def app_parts(path: Path) -> set[str]:
    return {
        name.split(".")[1]
        for name in imported(path)
        if name.startswith("transactions_app.") and name.count(".") >= 1
    } - {part_of(path)}


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_package_imports_only_what_is_below_it(part):
    wrong = {
        f"{path.relative_to(ROOT)} imports {sorted(app_parts(path) - ALLOWED[part])}"
        for path in modules()
        if part_of(path) == part and app_parts(path) - ALLOWED[part]
    }
    assert not wrong


def test_no_circle_between_packages():
    edges = {}
    for path in modules():
        edges.setdefault(part_of(path), set()).update(app_parts(path))

    def reachable(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    circles = sorted(p for p in edges if p in reachable(p))
    assert not circles


@pytest.mark.parametrize("part", ["detection", "streaming"])
def test_the_engine_and_the_loop_import_no_web_framework(part):
    """The engine imports no framework at all; the loop imports only
    confluent-kafka (its adapter) and the metrics library."""
    allowed = {"detection": (), "streaming": ("confluent_kafka",)}[part]
    found = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in modules()
        if part_of(path) == part
        for name in imported(path)
        if name.split(".")[0] in FRAMEWORKS and name.split(".")[0] not in allowed
    }
    assert not found


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for folder in ("transactions_app", "fraudsite", "benchmarks", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
        if (lines := len(path.read_text().splitlines())) > 400
    }
    assert not long
