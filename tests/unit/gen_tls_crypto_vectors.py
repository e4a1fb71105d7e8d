#!/usr/bin/env python3
"""Writes tests/unit/tls_crypto_vectors.h: published known-answer vectors for
the primitives tls/tls_drv_*.c accelerate, as C tables for test_tls_crypto.c.

  tests/unit/gen_tls_crypto_vectors.py > tests/unit/tls_crypto_vectors.h

Sources (Debian's python3-cryptography-vectors, scripts/deps.sh installs it):
  AES-GCM     NIST CAVP gcmEncryptExtIV*.rsp / gcmDecrypt*.rsp (GCMVS)
  ChaCha20-Poly1305  RFC 8439 (7539) 2.8.2 and BoringSSL's set (boringssl.txt),
              OpenSSL's evpciph set with tampered tags (openssl.txt)
  X25519      RFC 7748 5.2 (rfc7748.txt); 6.1 and the iterated 5.2 results
              are in the test itself
  ECDSA P-256 NIST CAVP FIPS 186-3 SigGen.txt (d -> Q)
  ECDH P-256  NIST CAVS KAS ECC ZZOnly validity tests, parameter set EC
and RFC 6979 A.2.5 (deterministic ECDSA P-256) as mbedTLS's own test suite
carries it (.deps/src/mbedtls/tree/tests/suites/test_suite_ecdsa.data).

A representative subset, not every vector: for GCM, with a 96-bit IV and a
128-bit tag (what the driver takes), plaintexts of 0, 16 and 51 bytes times
AADs of 0, 16 and 90 bytes (decryption: two per case, FAIL ones among them),
plus one vector per other tag and IV length (which mbedTLS's built-in code
must take over).
"""
import os
import re
import sys

VEC = "/usr/lib/python3/dist-packages/cryptography_vectors"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHACHA_MAX_PT = 128  # bytes: longer ones add size, not code paths (openssl.txt has 530-byte ones, the fuzzer more)
MBED_DATA = os.path.join(ROOT, ".deps/src/mbedtls/tree/tests/suites/test_suite_ecdsa.data")


def records(path):
    """(section dict, record dict) for each blank-line separated record."""
    section, rec = {}, {}
    with open(path) as f:
        lines = f.read().splitlines() + [""]
    for line in lines:
        line = line.strip()
        if line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            body = line[1:-1]
            if "=" in body:
                k, v = body.split("=", 1)
                section[k.strip()] = v.strip()
            else:
                section = {"name": body}
            continue
        if not line:
            if rec:
                yield dict(section), rec
            rec = {}
            continue
        if line == "FAIL":
            rec["FAIL"] = True
        elif "=" in line:
            k, v = line.split("=", 1)
            rec[k.strip()] = v.strip()


def text_or_hex(v):
    if v.startswith('"') and v.endswith('"'):
        return v[1:-1].encode().hex()
    return v.lower()


def gcm(out):
    rows = []
    for bits in (128, 192, 256):
        per_section = {}
        for kind, name in (("enc", f"gcmEncryptExtIV{bits}.rsp"), ("dec", f"gcmDecrypt{bits}.rsp")):
            for sec, r in records(os.path.join(VEC, "ciphers/AES/GCM", name)):
                if "Key" not in r:
                    continue
                iv, tag, pt, aad = (int(sec[k]) for k in ("IVlen", "Taglen", "PTlen", "AADlen"))
                key = (kind, iv, tag, pt, aad)
                n = per_section.get(key, 0)
                full = iv == 96 and tag == 128
                limit = 2 if full and kind == "dec" and bits != 192 else 1
                if full and (pt not in (0, 128, 408) or aad not in (0, 128, 720)):
                    continue
                if not full and not (pt == 128 and aad == 128 and (iv == 96 or tag == 128)):
                    continue
                if n >= limit:
                    continue
                per_section[key] = n + 1
                fail = "FAIL" in r
                rows.append((r["Key"], r["IV"], r.get("AAD", ""), "" if fail else r.get("PT", ""),
                             r.get("CT", ""), r["Tag"], tag // 8, 1 if fail else 0))
    out.append("/* AES-GCM: key, iv, aad, pt, ct, tag, tag bytes, 1 = must be refused */")
    out.append("static const struct kat_aead kat_gcm[] = {")
    for row in rows:
        out.append('    {"%s", "%s", "%s", "%s", "%s", "%s", %d, %d},' % row)
    out.append("};")


def chachapoly(out):
    rows = []
    base = os.path.join(VEC, "ciphers/ChaCha20Poly1305")
    for _, r in records(os.path.join(base, "boringssl.txt")):
        if len(text_or_hex(r["IN"])) > 2 * CHACHA_MAX_PT:
            continue
        rows.append((r["KEY"].lower(), r["NONCE"].lower(), text_or_hex(r["AD"]), text_or_hex(r["IN"]),
                     r["CT"].lower(), r["TAG"].lower(), 16, 0))
    for _, r in records(os.path.join(base, "openssl.txt")):
        rows.append((r["Key"].lower(), r["IV"].lower(), r["AAD"].lower(), r["Plaintext"].lower(),
                     r["Ciphertext"].lower(), r["Tag"].lower(), 16, 1 if "Result" in r else 0))
    out.append("/* ChaCha20-Poly1305: key, nonce, aad, pt, ct, tag, tag bytes, 1 = must be refused */")
    out.append("static const struct kat_aead kat_chachapoly[] = {")
    for row in rows:
        out.append('    {"%s", "%s", "%s", "%s", "%s", "%s", %d, %d},' % row)
    out.append("};")


def x25519(out):
    out.append("/* X25519 (RFC 7748 5.2): scalar, u, result */")
    out.append("static const struct kat_x25519 kat_x25519[] = {")
    for _, r in records(os.path.join(VEC, "asymmetric/X25519/rfc7748.txt")):
        out.append('    {"%s", "%s", "%s"},' % (r["INPUT_SCALAR"], r["INPUT_U"], r["OUTPUT_U"]))
    out.append("};")


def ecdsa_pub(out):
    out.append("/* P-256 public keys (FIPS 186-3 SigGen, all hashes): d, Qx, Qy */")
    out.append("static const struct kat_p256_pub kat_p256_pub[] = {")
    for sec, r in records(os.path.join(VEC, "asymmetric/ECDSA/FIPS_186-3/SigGen.txt")):
        if sec.get("name", "").startswith("P-256,") and "d" in r:
            out.append('    {"%s", "%s", "%s"},' % (r["d"], r["Qx"], r["Qy"]))
    out.append("};")


def ecdsa_det(out):
    hashes = {"SHA1": "TLS_PSA_SHA1", "SHA224": "TLS_PSA_SHA224", "SHA256": "TLS_PSA_SHA256",
              "SHA384": "TLS_PSA_SHA384", "SHA512": "TLS_PSA_SHA512"}
    pat = re.compile(r'ecdsa_det_test_vectors:MBEDTLS_ECP_DP_SECP256R1:"(\w+)":MBEDTLS_MD_(\w+):"(\w+)":"(\w+)":"(\w+)"')
    out.append("/* Deterministic ECDSA P-256 (RFC 6979 A.2.5): hash, d, digest, r, s */")
    out.append("static const struct kat_p256_det kat_p256_det[] = {")
    with open(MBED_DATA) as f:
        for m in pat.finditer(f.read()):
            d, h, digest, r, s = m.groups()
            out.append('    {%s, "%s", "%s", "%s", "%s"},' % (hashes[h], d.lower(), digest.lower(), r.lower(), s.lower()))
    out.append("};")


def ecdh(out):
    base = os.path.join(VEC, "asymmetric/ECDH")
    out.append("/* ECDH P-256 (KAS ZZOnly, set EC): d, peer Qx, Qy, Z, 0 = Z matches,")
    out.append(" * 1 = the peer's point is invalid (must be refused), 2 = Z must differ */")
    out.append("static const struct kat_p256_dh kat_p256_dh[] = {")
    for name in ("KASValidityTest_ECCStaticUnified_NOKC_ZZOnly_init.fax",
                 "KASValidityTest_ECCStaticUnified_NOKC_ZZOnly_resp.fax"):
        for sec, r in records(os.path.join(base, name)):
            if sec.get("name") != "EC - SHA256" or "Z" not in r:
                continue
            res = r["Result"]
            code = {"P": 0}.get(res[0])
            if res.startswith("F (1 ") or res.startswith("F (2 "):
                code = 1
            elif res.startswith("F (7 ") or res.startswith("F (8 "):
                code = 2
            if code is None:
                continue  # 5, 6: the IUT's own public key, not used by ECDH
            out.append('    {"%s", "%s", "%s", "%s", %d},' % (r["dsIUT"], r["QsCAVSx"], r["QsCAVSy"], r["Z"], code))
    out.append("};")


def main():
    out = ["/* Generated by tests/unit/gen_tls_crypto_vectors.py from published vectors",
           " * (see there); do not edit. */",
           "#ifndef RAMPART_TESTS_TLS_CRYPTO_VECTORS_H",
           "#define RAMPART_TESTS_TLS_CRYPTO_VECTORS_H", ""]
    for part in (gcm, chachapoly, x25519, ecdsa_pub, ecdsa_det, ecdh):
        part(out)
        out.append("")
    out.append("#endif")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
