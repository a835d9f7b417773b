#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One xtcp connection's whole life, watched from /proc/net/xtcp.

Run inside the guest by scripts/demo-guest.sh, with xtcp loaded.  A client
and a server in this process open a connection, exchange a line each way
and close it the way the seed document draws it: the client closes first
(FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT), the server sits in CLOSE_WAIT until
its program closes too (LAST_ACK).  A fault-injection rule holds every
segment back 400 ms so each state lasts long enough to be seen; a watcher
samples /proc/net/xtcp every 20 ms and prints a line whenever either end
changes state.  The address calls go through libc (Python's socket module
does not know AF_XTCP's address format); the rest is ordinary sockets.
"""
import ctypes
import os
import socket
import struct
import sys
import threading
import time

libc = ctypes.CDLL(None, use_errno=True)
FAMILY = int(open("/sys/module/xtcp/parameters/family").read())
SRV_PORT = 7100
CLI_PORT = 7101


def sin(port):
    """A struct sockaddr_in for 127.0.0.1:port."""
    return struct.pack("=H", socket.AF_INET) + \
        struct.pack("!H4s8x", port, socket.inet_aton("127.0.0.1"))


def check(ret, what):
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def xsock():
    return socket.socket(FAMILY, socket.SOCK_STREAM, 0)


def bind(s, port):
    a = sin(port)
    check(libc.bind(s.fileno(), a, len(a)), "bind")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def rows():
    """{(lport, rport): state} of the rows of our two ports."""
    out = {}
    with open("/proc/net/xtcp") as f:
        next(f)
        for line in f:
            p = line.split()
            lport = int(p[1].split(":")[1], 16)
            rport = int(p[2].split(":")[1], 16)
            if {lport, rport} & {SRV_PORT, CLI_PORT}:
                out[(lport, rport)] = p[10]
    return out


t0 = time.monotonic()


def say(what):
    line = f"{time.monotonic() - t0:6.2f} s  {'':26}  {'':26}  <- {what}"
    print(line, flush=True)


def watch(stop):
    last = (None, None)
    while not stop.is_set():
        r = rows()
        cli = r.get((CLI_PORT, SRV_PORT), "-")
        srv = r.get((SRV_PORT, CLI_PORT), "-")
        lsn = r.get((SRV_PORT, 0), "")
        if (cli, srv) != last:
            srv_txt = srv if srv != "-" or not lsn else f"- (listener {lsn})"
            print(f"{time.monotonic() - t0:6.2f} s  {cli:26}  {srv_txt:26}",
                  flush=True)
            last = (cli, srv)
        time.sleep(0.02)


def main():
    write("/proc/sys/net/xtcp/msl_ms", "1000\n")	# TIME_WAIT: 2 s
    write("/proc/net/xtcp_fault", "add dir=out action=delay delay=400\n")
    print(f"{'time':>8}  {'client 127.0.0.1:%d' % CLI_PORT:26}  "
          f"{'server 127.0.0.1:%d' % SRV_PORT:26}")
    stop = threading.Event()
    w = threading.Thread(target=watch, args=(stop,))
    w.start()

    lsn = xsock()
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bind(lsn, SRV_PORT)
    lsn.listen(1)
    cli = xsock()
    bind(cli, CLI_PORT)
    say("client: connect()  (SYN ->)")
    a = sin(SRV_PORT)
    cli.setblocking(False)
    ret = libc.connect(cli.fileno(), a, len(a))
    if ret < 0 and ctypes.get_errno() != 115:	# EINPROGRESS
        check(ret, "connect")
    fd = check(libc.accept(lsn.fileno(), None, None), "accept")
    srv = socket.socket(fileno=fd)
    cli.setblocking(True)
    lsn.close()
    say("server: accept() returned; listener closed")
    time.sleep(0.8)
    cli.sendall(b"hello server\n")
    srv.sendall(b"hello client\n")
    say("both: send() a line")
    time.sleep(1.5)
    say(f"client got {cli.recv(100)!r}, server got {srv.recv(100)!r}")
    cli.close()
    say("client: close()  (FIN ->)")
    time.sleep(1.5)
    assert srv.recv(100) == b""
    say("server: read() returned 0 (end of stream); "
        "it does not close for 2 s: CLOSE_WAIT")
    time.sleep(2.0)
    srv.close()
    say("server: close()  (its FIN ->)")
    time.sleep(5.0)
    stop.set()
    w.join()
    write("/proc/net/xtcp_fault", "clear\n")
    print()
    print("$ grep -E 'TimeWait|CurrSockets|ObjectSize' /proc/net/xtcp_stat")
    with open("/proc/net/xtcp_stat") as f:
        for line in f:
            if line.startswith(("TimeWait", "CurrTimeWait", "CurrSockets",
                                "SockObjectSize", "TwObjectSize")):
                print(line, end="")


if __name__ == "__main__":
    sys.exit(main())
