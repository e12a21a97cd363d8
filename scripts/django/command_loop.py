"""The loop of a long-running Django process the Rust interop tests drive: one JSON object per
line on stdin (``{"cmd": name, ...}``), one JSON answer per line on stdout, so that one Django
start serves a whole test instead of one process per question.

    from command_loop import serve
    serve({"login": login, "request": request})

A command that raises answers ``{"error": "<ExceptionType>: <message>"}`` (the test shows it and
fails); the loop ends when stdin closes.
"""

import json
import sys


def serve(commands, stdin=sys.stdin, stdout=sys.stdout):
    """Answer each command line of ``stdin`` with ``commands[cmd](command)``."""
    for line in stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        try:
            answer = commands[command["cmd"]](command)
        except Exception as exc:  # the test shows it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), file=stdout, flush=True)
