#!/usr/bin/env python3
"""An SMTP server on loopback that keeps what it receives, for the account email checks: aiosmtpd
on 127.0.0.1 (a free port), driven by JSON lines on stdin (``command_loop.serve``). Commands:

* ``{"cmd": "port"}``: ``{"port": n}``, where it listens.
* ``{"cmd": "messages"}``: every message received since the last call (then forgotten), each
  ``{"envelope_from", "envelope_to", "subject", "from", "to", "text", "html"}``, the bodies decoded
  from their MIME parts (``html`` null when there is no HTML alternative).
"""

import email
import email.policy
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from aiosmtpd.controller import Controller  # noqa: E402

from command_loop import serve  # noqa: E402

_lock = threading.Lock()
_received = []


class Keep:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        with _lock:
            _received.append(
                {
                    "envelope_from": envelope.mail_from,
                    "envelope_to": list(envelope.rcpt_tos),
                    "subject": str(message["Subject"]),
                    "from": str(message["From"]),
                    "to": str(message["To"]),
                    "text": text.get_content() if text is not None else None,
                    "html": html.get_content() if html is not None else None,
                }
            )
        return "250 OK"


def free_port():
    """A port nothing listens on now (aiosmtpd's start-up check cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


port = free_port()
controller = Controller(Keep(), hostname="127.0.0.1", port=port)
controller.start()


def messages(_command):
    with _lock:
        taken = list(_received)
        _received.clear()
    return {"messages": taken}


try:
    serve({"port": lambda _command: {"port": port}, "messages": messages})
finally:
    controller.stop()
