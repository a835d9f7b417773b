#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# A byte exchange over 127.0.0.1 with plain AF_INET stream sockets, run by
# tests/package/guest.sh under xtcp-run: while the connection is up,
# /proc/net/xtcp must list its two ends and /proc/net/tcp must not.
import socket
import sys


def lists_port(path, port):
    """Does the /proc/net table at path list a socket with local port?"""
    want = ':%04X' % port
    with open(path) as f:
        next(f)
        return any(line.split()[1].endswith(want) for line in f
                   if len(line.split()) > 1)


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(1)
port = srv.getsockname()[1]
cli = socket.create_connection(('127.0.0.1', port))
conn, _ = srv.accept()
payload = bytes(range(256)) * 64
cli.sendall(payload)
got = b''
while len(got) < len(payload):
    chunk = conn.recv(65536)
    if not chunk:
        break
    got += chunk
conn.sendall(b'done')
ack = b''
while len(ack) < 4:
    chunk = cli.recv(4 - len(ack))
    if not chunk:
        break
    ack += chunk
on_xtcp = lists_port('/proc/net/xtcp', port)
on_tcp = lists_port('/proc/net/tcp', port)
print('port %d: %d bytes, reply %r, in /proc/net/xtcp %s, in /proc/net/tcp %s'
      % (port, len(got), ack, on_xtcp, on_tcp))
for s in (cli, conn, srv):
    s.close()
sys.exit(0 if got == payload and ack == b'done' and on_xtcp and not on_tcp
         else 1)
