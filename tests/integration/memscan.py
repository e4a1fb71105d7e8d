#!/usr/bin/env python3
"""Looks for a private key's bytes in a running process's memory.

    memscan.py PID KEY.pem...

Reads every readable mapping of PID that holds memory (/proc/PID/smaps:
Rss > 0) through /proc/PID/mem (root: CAP_SYS_PTRACE), and looks for, per
key file:
  ec-scalar   the EC private value, 32/48/66 bytes big-endian (how PSA and
              the file hold it)
  rsa-d, rsa-p, rsa-q   the RSA private exponent and primes, big-endian
  pkcs8-der   the key as PKCS#8 DER (what `openssl req` writes, base64'd)
  pem-line    the first full base64 line of the PEM file
Prints "KEYFILE NAME found|absent" per needle and "scanned N bytes";
exits 0 when the scan ran, 2 when it could not read the process.
"""
import re
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

CHUNK = 1 << 20


def be(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


def needles(path):
    text = open(path, "rb").read()
    key = serialization.load_pem_private_key(text, password=None)
    out = {}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        out["ec-scalar"] = be(key.private_numbers().private_value, (key.curve.key_size + 7) // 8)
    elif isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        out["rsa-d"], out["rsa-p"], out["rsa-q"] = be(n.d), be(n.p), be(n.q)
    out["pkcs8-der"] = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    lines = [l for l in text.splitlines() if l and not l.startswith(b"-----")]
    out["pem-line"] = lines[0]
    return out


def regions(pid):
    """(start, end) of readable mappings with resident memory."""
    cur = None
    for line in open(f"/proc/{pid}/smaps"):
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$", line)
        if m:
            start, end, perms, name = int(m[1], 16), int(m[2], 16), m[3], m[4]
            cur = (start, end) if perms[0] == "r" and name not in ("[vvar]", "[vsyscall]") else None
            continue
        if cur and line.startswith("Rss:") and int(line.split()[1]) > 0:
            yield cur
            cur = None


def scan(pid, wanted):
    longest = max(len(v) for v in wanted.values())
    found, total = set(), 0
    with open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for start, end in regions(pid):
            tail = b""
            for off in range(start, end, CHUNK):
                try:
                    mem.seek(off)
                    data = mem.read(min(CHUNK, end - off))
                except OSError:
                    break  # a guard page, a mapping that went away
                total += len(data)
                buf = tail + data
                for name, needle in wanted.items():
                    if name not in found and needle in buf:
                        found.add(name)
                tail = buf[-(longest - 1):]
    return found, total


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    pid = sys.argv[1]
    wanted = {}
    for path in sys.argv[2:]:
        for name, needle in needles(path).items():
            wanted[f"{path} {name}"] = needle
    try:
        found, total = scan(pid, wanted)
    except OSError as e:
        print(f"memscan: {pid}: {e}", file=sys.stderr)
        return 2
    for name in wanted:
        print(name, "found" if name in found else "absent")
    print("scanned", total, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
