#!/usr/bin/env python3
"""The outside audit's denial-of-service requests, against a running drf_parity.

Usage: scripts/audit/probe.py <base URL> [--pid PID]

Python's standard library only. Each check fails the run (exit 1) with a line saying what went
wrong; a passing run prints one line per check with what it measured.

1. Long multipart boundary: four unauthenticated POSTs to /api-token-auth/ at once, each with a
   125,000-character boundary of dashes and a 2.5 MB body of dash runs, must be refused (415, as
   DRF refuses a media type over 256 characters), while /bare/ keeps answering within 100 ms.
2. Longest boundary: the same with a 201-character boundary (the longest Django takes) over a body
   of near matches, parsed; /bare/ likewise.
3. Many Content-Type parameters: a multipart Content-Type with thousands of parameters is refused
   as quickly (415), /bare/ likewise.
4. Slow bodies: 40 connections that send all but the last 20 bytes of a 2.6 MB body must each be
   answered (408 when the read deadline passes, or 503 at once when the body buffer budget is
   spent) and closed within the deadline plus a margin; the server's memory (with --pid) grows by
   less than the budget plus a margin; /bare/ answers meanwhile.
"""

import argparse
import json
import socket
import sys
import threading
import time
import urllib.parse

BARE_LIMIT = 0.100  # seconds
BODY_READ_TIMEOUT = 30.0  # the library's default
BUDGET = 64 << 20  # the library's default body buffer budget
BODY_LIMIT = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE

failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message, file=sys.stderr)


def connect(base):
    url = urllib.parse.urlsplit(base)
    return socket.create_connection((url.hostname, url.port or 80), timeout=120)


def host_header(base):
    return urllib.parse.urlsplit(base).netloc


def read_response(sock):
    """Status and body of one response, reading until the server closes."""
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, head.decode("latin-1"), body


def exchange(base, head_lines, body=b""):
    sock = connect(base)
    try:
        head = "".join(line + "\r\n" for line in head_lines) + "\r\n"
        sock.sendall(head.encode("latin-1") + body)
        return read_response(sock)
    finally:
        sock.close()


class BareWatch:
    """GET /bare/ every 20 ms on fresh connections, recording each latency."""

    def __init__(self, base, pid=None):
        self.base = base
        self.pid = pid
        self.peak_rss = 0
        self.latencies = []
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        host = host_header(self.base)
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                status, _, _ = exchange(
                    self.base, [f"GET /bare/ HTTP/1.1", f"Host: {host}", "Connection: close"])
                if status != 200:
                    self.errors.append(f"/bare/ answered {status}")
            except OSError as error:
                self.errors.append(f"/bare/ failed: {error}")
            self.latencies.append(time.monotonic() - start)
            if self.pid:
                self.peak_rss = max(self.peak_rss, rss_bytes(self.pid))
            self.stop.wait(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def check(self, what):
        if self.errors:
            fail(f"{what}: {self.errors[0]}")
        if not self.latencies:
            fail(f"{what}: /bare/ was never answered")
            return "/bare/ never answered"
        worst = max(self.latencies)
        ordered = sorted(self.latencies)
        median = ordered[len(ordered) // 2]
        if worst > BARE_LIMIT:
            fail(f"{what}: /bare/ took {worst * 1000:.0f} ms (limit {BARE_LIMIT * 1000:.0f} ms)")
        return f"/bare/ answered {len(self.latencies)} times, median {median * 1000:.1f} ms, " \
               f"worst {worst * 1000:.1f} ms"


def in_parallel(count, target, indexed=None):
    """`target()` (or `indexed(i)`) in `count` threads; each result, or the exception raised."""
    results = [None] * count

    def run(i):
        try:
            results[i] = indexed(i) if indexed else target()
        except Exception as error:  # reported as a failure by the caller
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def unsupported(content_type):
    """DRF's 415 body for `content_type` (over 256 characters, DRF refuses it unparsed)."""
    return json.dumps({"detail": f'Unsupported media type "{content_type}" in request.'},
                      separators=(",", ":"), ensure_ascii=False).encode()


def four_at_once(base, what, content_type, body, expected):
    """Four POSTs of `body` to /api-token-auth/ at once while /bare/ is watched: each must be
    answered `expected` (status, body). Returns the seconds each took and /bare/'s summary."""
    host = host_header(base)

    def attack():
        start = time.monotonic()
        status, _, reply = exchange(base, [
            "POST /api-token-auth/ HTTP/1.1", f"Host: {host}", "Connection: close",
            f"Content-Type: {content_type}", f"Content-Length: {len(body)}"], body)
        return status, reply, time.monotonic() - start

    with BareWatch(base) as watch:
        time.sleep(0.1)
        results = in_parallel(4, attack)
        time.sleep(0.1)
    for result in results:
        if isinstance(result, Exception):
            fail(f"{what}: {result!r}")
        elif (result[0], result[1]) != expected:
            fail(f"{what}: got {result[0]} {result[1][:120]!r}")
    seconds = [r[2] for r in results if isinstance(r, tuple)] or [float("nan")]
    return f"{min(seconds):.2f}-{max(seconds):.2f} s", watch.check(what)


def long_boundary(base):
    # A boundary of dashes and a body of dash runs that stop one short of it: a windowed
    # search for "--" + boundary compares up to the end of the run at every position.
    boundary = "-" * 125_000
    body = (b"-" * 125_001 + b"x") * 20
    content_type = f"multipart/form-data; boundary={boundary}"
    took, bare = four_at_once(base, "long boundary", content_type, body,
                              (415, unsupported(content_type)))
    print(f"long boundary: 4 requests of {len(body):,} bytes refused in {took}; {bare}")


def many_parameters(base):
    params = "; ".join(f"p{i}=v" for i in range(3000))
    body = b"--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nnobody\r\n--x--\r\n"
    content_type = f"multipart/form-data; {params}; boundary=x"
    took, bare = four_at_once(base, "many parameters", content_type, body,
                              (415, unsupported(content_type)))
    print(f"many parameters: 4 requests with 3,000 Content-Type parameters answered in {took}; "
          f"{bare}")


def longest_boundary(base):
    # The longest boundary Django takes, over a body of dash runs one dash short of it.
    boundary = "-" * 201
    body = (b"-" * 202 + b"x") * 12_000 + (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nnobody\r\n"
        f"--{boundary}--\r\n").encode()
    took, bare = four_at_once(base, "longest boundary", f"multipart/form-data; boundary={boundary}",
                              body, (400, b'{"password":["This field is required."]}'))
    print(f"longest boundary: 4 requests of {len(body):,} bytes parsed in {took}; {bare}")


def rss_bytes(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def slow_bodies(base, pid):
    host = host_header(base)
    length = 2_600_000
    sent = b" " * (length - 20)
    head = (f"POST /api-token-auth/ HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()
    before = rss_bytes(pid) if pid else None
    start = time.monotonic()

    def client(_):
        """Send all but the last 20 bytes, then wait for the answer. A server that answers
        before reading the body may close the connection while we still send: what it answered
        is still read."""
        sock = connect(base)
        sock.settimeout(BODY_READ_TIMEOUT + 30)
        raw = b""
        try:
            try:
                sock.sendall(head + sent)
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    raw += chunk
            except ConnectionResetError:
                pass
        finally:
            sock.close()
        head_part, _, body = raw.partition(b"\r\n\r\n")
        status = int(head_part.split(b" ", 2)[1]) if head_part else 0
        return status, head_part.decode("latin-1"), body, time.monotonic() - start

    with BareWatch(base, pid) as watch:
        answers = in_parallel(40, None, client)
    peak = watch.peak_rss
    counts = {}
    latest = 0.0
    for result in answers:
        if isinstance(result, Exception):
            fail(f"slow bodies: a connection was not answered: {result!r}")
            continue
        status, head, body, seconds = result
        counts[status] = counts.get(status, 0) + 1
        latest = max(latest, seconds)
        if status == 408:
            if body != b'{"detail":"Request body was not received in time."}':
                fail(f"slow bodies: 408 with {body[:120]!r}")
            if "connection: close" not in head.lower():
                fail("slow bodies: a 408 without Connection: close")
        elif status == 503:
            if body != b'{"detail":"Service temporarily unavailable, try again later."}':
                fail(f"slow bodies: 503 with {body[:120]!r}")
        else:
            fail(f"slow bodies: answered {status} {body[:120]!r}")
    if latest > BODY_READ_TIMEOUT + 10:
        fail(f"slow bodies: the last was answered after {latest:.1f} s")
    admitted = BUDGET // length
    if counts.get(408, 0) > admitted + 1:
        fail(f"slow bodies: {counts.get(408, 0)} bodies held at once, over the budget's {admitted}")
    bare = watch.check("slow bodies")
    memory = ""
    if pid:
        growth = peak - before
        if growth > BUDGET + (48 << 20):
            fail(f"slow bodies: the server grew by {growth >> 20} MiB")
        memory = f"; server memory grew by {growth / (1 << 20):.0f} MiB " \
                 f"(budget {BUDGET >> 20} MiB)"
    print(f"slow bodies: 40 connections answered {dict(sorted(counts.items()))}, the last after "
          f"{latest:.1f} s{memory}; {bare}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--pid", type=int)
    args = parser.parse_args()
    base = args.base.rstrip("/")
    long_boundary(base)
    longest_boundary(base)
    many_parameters(base)
    slow_bodies(base, args.pid)
    if failures:
        print(f"audit probe: {len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("audit probe: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
