#!/usr/bin/env python3
"""A TLS client that shapes its own ClientHello (tls_gateway.sh, issue 10).

Python's ssl module (OpenSSL) over memory BIOs makes a real ClientHello;
this script rewrites its record layer by hand before sending it:

  split N   the ClientHello in records of N bytes (RFC 8446 section 5.1
            lets handshake messages span records), then the handshake and
            one request as usual: prints the answer's status line, or
            "refused: ..." when the server ends the handshake
  dup       the first extension twice (RFC 8446 section 4.2 forbids it):
            prints "alert LEVEL DESCRIPTION" for the alert the server sends
            back, "server_hello" if it answers with a handshake record

Usage: tls_hello.py HOST PORT SERVERNAME split N | dup
"""
import socket
import ssl
import struct
import sys
import time

DEADLINE_S = 10  # a hang guard, not a timing check


def client(servername):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    rd, wr = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(rd, wr, server_hostname=servername)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return obj, rd, wr


def first_record(data):
    """The first record: (type, version bytes, payload), and what follows."""
    rtype, ver, n = data[0], data[1:3], struct.unpack(">H", data[3:5])[0]
    return rtype, ver, data[5 : 5 + n], data[5 + n :]


def records(rtype, ver, payload, size):
    return b"".join(
        bytes([rtype]) + ver + struct.pack(">H", len(payload[i : i + size])) + payload[i : i + size]
        for i in range(0, len(payload), size)
    )


def recv_some(sock):
    try:
        return sock.recv(65536)
    except socket.timeout:
        return b""


def handshake_then_request(sock, obj, rd, wr, servername):
    """Drives the rest of the handshake and one request; the status line."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError as e:
            return "refused: " + e.reason if e.reason else "refused: " + str(e)
        out = wr.read()
        if out:
            sock.sendall(out)
        got = recv_some(sock)
        if not got:
            return "refused: connection closed"
        rd.write(got)
    sock.sendall(wr.read())
    obj.write(b"GET / HTTP/1.1\r\nHost: " + servername.encode() + b"\r\nConnection: close\r\n\r\n")
    sock.sendall(wr.read())
    answer = b""
    while b"\r\n" not in answer and time.monotonic() < deadline:
        got = recv_some(sock)
        if not got:
            break
        rd.write(got)
        try:
            answer += obj.read(65536)
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
    return answer.split(b"\r\n")[0].decode(errors="replace") or "no answer"


def split(sock, servername, size):
    obj, rd, wr = client(servername)
    rtype, ver, hello, rest = first_record(wr.read())
    sock.sendall(records(rtype, ver, hello, size) + rest)
    return handshake_then_request(sock, obj, rd, wr, servername)


def duplicate_first_extension(hello):
    """The ClientHello handshake message with its first extension twice."""
    body = hello[4:]
    at = 2 + 32  # legacy_version, random
    at += 1 + body[at]  # session id
    at += 2 + struct.unpack(">H", body[at : at + 2])[0]  # cipher suites
    at += 1 + body[at]  # compression methods
    ext_len = struct.unpack(">H", body[at : at + 2])[0]
    exts = body[at + 2 : at + 2 + ext_len]
    first = exts[: 4 + struct.unpack(">H", exts[2:4])[0]]
    exts = first + exts
    body = body[:at] + struct.pack(">H", len(exts)) + exts + body[at + 2 + ext_len :]
    return bytes([hello[0]]) + struct.pack(">I", len(body))[1:] + body


def dup(sock, servername):
    _, _, wr = client(servername)
    rtype, ver, hello, _ = first_record(wr.read())
    sock.sendall(records(rtype, ver, duplicate_first_extension(hello), 16384))
    got = b""
    deadline = time.monotonic() + DEADLINE_S
    while len(got) < 7 and time.monotonic() < deadline:
        more = recv_some(sock)
        if not more:
            break
        got += more
    if len(got) >= 7 and got[0] == 21:
        return "alert %d %d" % (got[5], got[6])
    if got and got[0] == 22:
        return "server_hello"
    return "nothing (%d bytes)" % len(got)


def main():
    host, port, servername, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    sock = socket.create_connection((host, port), timeout=DEADLINE_S)
    sock.settimeout(2)
    if mode == "split":
        print(split(sock, servername, int(sys.argv[5])))
    else:
        print(dup(sock, servername))


if __name__ == "__main__":
    main()
