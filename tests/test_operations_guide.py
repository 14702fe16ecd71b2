"""docs/operations.md only names management commands and options that
exist, and links from the README."""

import re
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "operations.md").read_text()
SPANS = [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", GUIDE)]
INVOCATIONS = sorted(
    {
        match
        for span in SPANS
        for match in re.findall(r"python manage\.py [a-z_]+(?: --?[\w-]+)*", span)
    }
)


def test_the_guide_names_commands():
    names = {invocation.split()[2] for invocation in INVOCATIONS}
    assert {"migrate", "createtopics", "rundetector", "axes_reset"} <= names


@pytest.mark.parametrize("invocation", INVOCATIONS)
def test_every_management_command_and_option_exists(invocation):
    name, *words = invocation.split()[2:]
    commands = get_commands()
    assert name in commands, f"no command {name}"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    known = set(parser._option_string_actions)
    for option in (w for w in words if w.startswith("-")):
        assert option in known, f"{name} has no option {option}"


def test_the_readme_links_the_guide():
    assert "(docs/operations.md)" in (ROOT / "README.md").read_text()
