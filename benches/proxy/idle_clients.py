#!/usr/bin/env python3
"""Open N keep-alive connections to a proxy, send one request on each, read
its 200, and keep every connection open (idle) until stdin closes.

usage: idle_clients.py HOST:PORT N HOSTHEADER

Prints "ready N" once all N connections have had their answer (the caller
then measures the proxy's memory), and exits when stdin reaches EOF. Needs
`ulimit -n` above N. Talks to the given loopback address only.
"""

import socket
import sys


def main() -> int:
    addr, count, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ip, port = addr.rsplit(":", 1)
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    conns = []
    for i in range(count):
        s = socket.create_connection((ip, int(port)), timeout=10)
        s.sendall(request)
        answer = b""
        # Read until the head and the (tiny, Content-Length) body are in.
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                print(f"connection {i} closed before its answer", file=sys.stderr)
                return 1
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 200"):
            print(f"connection {i}: {answer[:40]!r}", file=sys.stderr)
            return 1
        conns.append(s)
    print(f"ready {len(conns)}", flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
