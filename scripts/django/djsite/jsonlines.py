"""The command loop of the long-running Django processes the Rust tests drive: one JSON object
per line on stdin, each answered with one JSON line on stdout (``{"error": ...}`` when the
command raised)."""

import json
import sys


def serve(commands):
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        try:
            answer = commands[command["cmd"]](command)
        except Exception as exc:  # the test shows it
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)
