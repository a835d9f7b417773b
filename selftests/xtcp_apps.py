#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Python programs of selftests/xtcp_apps.sh, written as an application
# would write them: the standard library only, no knowledge of xtcp (the
# shell starts them through xtcp-run).
#
#   xtcp_apps.py echo-server PORT
#       asyncio streams: each connection's bytes back to it, until EOF
#   xtcp_apps.py echo-clients PORT N SIZE
#       N asyncio connections at once, each sends SIZE random bytes,
#       half-closes, and must read the same bytes back; prints
#       "connections N ok K seconds S" and exits 0 when K == N
#   xtcp_apps.py upload-server PORT
#       HTTP/1.1 server whose PUT answers the body's SHA-256 in hex
import asyncio
import hashlib
import http.server
import os
import sys
import time


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        writer.write_eof()
        await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


async def echo_server(port):
    server = await asyncio.start_server(echo, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


async def one_client(port, size):
    payload = os.urandom(size)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    writer.write_eof()
    back = await reader.read()
    writer.close()
    await writer.wait_closed()
    return back == payload


async def echo_clients(port, n, size):
    t0 = time.monotonic()
    results = await asyncio.gather(*(one_client(port, size) for _ in range(n)),
                                   return_exceptions=True)
    secs = time.monotonic() - t0
    good = sum(1 for r in results if r is True)
    errors = {}
    for r in results:
        if isinstance(r, BaseException):
            errors[repr(r)] = errors.get(repr(r), 0) + 1
    for e, k in errors.items():
        print(f"error: {k} x {e}")
    print(f"connections {n} ok {good} seconds {secs:.2f}")
    return good == n


class Upload(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_PUT(self):
        left = int(self.headers["Content-Length"])
        h = hashlib.sha256()
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
        body = (h.hexdigest() + "\n").encode()
        self.send_response(200 if left == 0 else 400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "echo-server":
        asyncio.run(echo_server(port))
    elif cmd == "echo-clients":
        ok = asyncio.run(echo_clients(port, int(sys.argv[3]), int(sys.argv[4])))
        sys.exit(0 if ok else 1)
    elif cmd == "upload-server":
        http.server.ThreadingHTTPServer(("127.0.0.1", port), Upload).serve_forever()
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
