#!/usr/bin/env python
"""Django's command-line utility for the fraud detection platform."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fraudsite.settings")
    from django.core.management import execute_from_command_line

    from fraudsite.env import SettingError

    try:
        execute_from_command_line(sys.argv)
    except SettingError as error:
        sys.exit(f"Configuration error: {error}")


if __name__ == "__main__":
    main()
