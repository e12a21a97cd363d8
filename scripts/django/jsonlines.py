"""The command loop of the interoperability processes: one JSON command per line on stdin, one
JSON answer per line on stdout; an exception is answered ``{"error": "<type>: <message>"}``."""

import json
import sys


def serve(commands):
    """Answers each line of stdin with ``commands[command["cmd"]](command)``."""
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        try:
            answer = commands[command["cmd"]](command)
        except Exception as exc:  # the test shows it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)
