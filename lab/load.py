#!/usr/bin/env python3
"""load.py: many short HTTPS connections from several source addresses.

Each request is its own connection (TCP + TLS + one GET + close), from a
source address taken in turn from --sources and an ephemeral port, so an
ECMP router with an L4 hash spreads them. Bounded: at most --rate
connections a second in all, for at most --duration seconds (or until
--stop FILE exists), from --threads threads.

Prints one line per request, "END_MS STATUS SOURCE ERROR DURATION_MS"
(STATUS 0: the request failed; ERROR "-" when it did not), then a summary line
"# total N ok N failed N" on stderr. Run it in the client's namespace.
"""
import argparse
import os
import socket
import ssl
import sys
import threading
import time


def parse_sources(text):
    """"198.18.0.100-115" or "198.18.0.100,198.18.0.101": the addresses."""
    out = []
    for part in text.split(","):
        if "-" in part:
            base, last = part.rsplit("-", 1)
            prefix, first = base.rsplit(".", 1)
            out += [f"{prefix}.{i}" for i in range(int(first), int(last) + 1)]
        elif part:
            out.append(part)
    return out


def one_request(args, ctx, source):
    """(status, error) of one GET on a new connection from source."""
    try:
        with socket.create_connection((args.address, 443), timeout=args.timeout,
                                      source_address=(source, 0)) as raw:
            with ctx.wrap_socket(raw, server_hostname=args.host) as tls:
                tls.sendall(f"GET {args.path} HTTP/1.1\r\nHost: {args.host}\r\n"
                            "Connection: close\r\n\r\n".encode())
                data = b""
                while len(data) < 65536:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        line = data.split(b"\r\n", 1)[0].split()
        return (int(line[1]) if len(line) > 1 else 0), "-" if line else "empty"
    except (OSError, ssl.SSLError) as e:
        return 0, type(e).__name__


def worker(args, ctx, sources, index, lock, out, counts, deadline):
    interval = args.threads / args.rate
    next_at = time.monotonic()
    n = index
    while time.monotonic() < deadline and not (args.stop and os.path.exists(args.stop)):
        source = sources[n % len(sources)]
        n += args.threads
        began = time.monotonic()
        status, err = one_request(args, ctx, source)
        took = int((time.monotonic() - began) * 1000)
        with lock:
            out.write(f"{int(time.time() * 1000)} {status} {source} {err} {took}\n")
            counts[0] += 1
            counts[1 if status == 200 else 2] += 1
        next_at += interval
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            next_at = time.monotonic()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--address", required=True, help="the service address")
    p.add_argument("--host", default="www.foobar.com")
    p.add_argument("--path", default="/hello")
    p.add_argument("--ca", required=True)
    p.add_argument("--sources", required=True, help="e.g. 198.18.0.100-115")
    p.add_argument("--rate", type=float, default=100.0, help="connections a second, all threads")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--stop", help="stop when this file exists")
    args = p.parse_args()
    args.rate = min(max(args.rate, 1.0), 1000.0)
    args.duration = min(args.duration, 300.0)
    ctx = ssl.create_default_context(cafile=args.ca)
    sources = parse_sources(args.sources)
    lock = threading.Lock()
    counts = [0, 0, 0]
    deadline = time.monotonic() + args.duration
    threads = [threading.Thread(target=worker, args=(args, ctx, sources, i, lock, sys.stdout, counts,
                                                    deadline)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.stdout.flush()
    print(f"# total {counts[0]} ok {counts[1]} failed {counts[2]}", file=sys.stderr)


if __name__ == "__main__":
    main()
