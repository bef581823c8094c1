#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from core.commands import execute  # each command's audit events carry its name

    execute(sys.argv)


if __name__ == "__main__":
    main()
