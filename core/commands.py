"""Every management command run from the command line writes its audit events under its own name.

``manage.py`` runs each command inside ``pghistory.context(command=<name>)``: a report made with
``generate_report``, a row changed in ``shell``, an account made with ``createsuperuser`` are attributed
to the command, as requests are to their user (pghistory's middleware) and Celery jobs to their task
(reports/tasks.py). Commands that set a context of their own (load_reference_data, seed_demo) add to it.
"""

import sys

# Commands run without a context, and why. seed_scale fills a benchmark database with 60,000 audited
# rows in one transaction; with a context each of them upserts the one context row, which takes minutes.
UNAUDITED_COMMANDS = {"seed_scale"}


def command_name(argv: list[str]) -> str | None:
    """The subcommand of ``manage.py <name> …``, or None for ``manage.py``, ``--help``, ``--version``."""
    if len(argv) < 2 or argv[1].startswith("-"):
        return None
    return argv[1]


def execute(argv: list[str] | None = None) -> None:
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    name = command_name(argv)
    if name is None or name in UNAUDITED_COMMANDS:
        execute_from_command_line(argv)
        return
    import django

    django.setup()
    import pghistory

    with pghistory.context(command=name):
        execute_from_command_line(argv)
