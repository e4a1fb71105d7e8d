#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_conn and fuzz_tls_hello.

  tests/fuzz/corpus/fuzz_conn/       programs (tests/fuzz/README.md, "fuzz_conn")
  tests/fuzz/corpus/fuzz_tls_hello/  ClientHellos from Python's ssl (OpenSSL),
                                     whole, cut into small records, with an
                                     extension twice

Run from the repository root; it replaces the files it writes. The
programs use the operation numbers of tests/fuzz/fuzz_conn.c (enum fz_op).
"""
import os
import ssl
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import tls_hello  # noqa: E402  (the integration test's ClientHello tools)

(OPEN, REQ, BODY, RAW, SMUGGLE, STALL, SHUT, CLOSE, BRESP, BRAW, BREL, BSTALL, BSHUT, BCLOSE, TICK,
 SOCKBUF, DRAIN, H2) = range(18)
N_SMUGGLES = 33  # entries of fz_smuggles in conn_shapes.c
N_H2_SHAPES = 32  # entries of fz_h2_shapes in conn_h2.c
N_H2_FRAMES = 18  # kinds of OP_H2 (fz_h2_frame in conn_h2.c)

# OPEN's byte (fz_client_open): bits 0-2 the kind (5 HTTP/2, 6 TLS, 7 raw
# bytes on the TLS port, else plain), 3-5 the ClientHello's record size
# (HTTP/2: the preface), 6 TLS 1.2 only, 7 (HTTP/2) no SETTINGS ACK
HTTP2, TLS, TLS_RAW, TLS12 = 5, 6, 7, 0x40

# config byte (fz_config): bit 0 no queue, 1 no min rate, 2 small max_body, 3 one
# connection per backend, 4 no pooling, 5 never down, 6 small buffers, 7 two backends
NEVER_DOWN = 0x20


def raw(op, slot, data):
    return bytes([op, slot, len(data)]) + data


def programs():
    get = bytes([REQ, 0, 0, 0, 0])  # GET, no body, sent whole
    ok10 = bytes([BRESP, 0, 0, 0x08, 0])  # 200, Content-Length 10
    p = {}
    p["keepalive_reuse"] = bytes([NEVER_DOWN, OPEN, 0]) + get + ok10 + get + ok10
    p["pipelined"] = bytes([NEVER_DOWN, OPEN, 0]) + get * 3 + ok10 * 3
    p["https13"] = bytes([NEVER_DOWN, OPEN, TLS]) + get + ok10
    p["https12"] = bytes([NEVER_DOWN, OPEN, TLS | TLS12]) + get + ok10
    for i, frag in ((1, 1), (2, 2), (3, 3), (6, 64)):
        p["https_hello_in_%d_byte_records" % frag] = bytes([NEVER_DOWN, OPEN, TLS | i << 3]) + get + ok10
    p["https_raw"] = bytes([NEVER_DOWN, OPEN, TLS_RAW]) + raw(RAW, 0, b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00")
    for i in range(N_SMUGGLES):
        p["smuggle_%02d" % i] = bytes([NEVER_DOWN, OPEN, 0, SMUGGLE, 0, i, BRESP, 0, 0, 0x08, 0])
    # POST of 5000 bytes, head only; the backend answers early; then the body
    p["early_answer"] = bytes([NEVER_DOWN, OPEN, 0, REQ, 0, 3, 1 | 5 << 2, 1]) + ok10 + bytes([BODY, 0, 6])
    p["websocket"] = bytes([NEVER_DOWN, OPEN, 0, REQ, 0, 0x80, 0, 0, BRESP, 0, 8, 0x08, 0]) + raw(
        RAW, 0, b"ping") + raw(BRAW, 0, b"pong")
    p["stalled_big_answer"] = bytes([NEVER_DOWN | 0x40, OPEN, 0, STALL, 0]) + get + bytes(
        [BRESP, 0, 0, 7 << 2, 0, TICK, 12, TICK, 12, STALL, 0])
    p["head_504"] = bytes([NEVER_DOWN, OPEN, 0, REQ, 0, 2, 0, 0, TICK, 13, TICK, 14])
    p["expect_continue"] = bytes([NEVER_DOWN, OPEN, 0, REQ, 0, 3 | 0x20, 1 | 3 << 2, 1, BRESP, 0, 9, 0x08, 0,
                                  BODY, 0, 6])
    p["interim_with_body"] = bytes([NEVER_DOWN, OPEN, 0]) + get + bytes([BRESP, 0, 11, 0x08, 0]) + get + ok10
    p["chunked_both_ways"] = bytes([NEVER_DOWN, OPEN, 0, REQ, 0, 3, 3 | 4 << 2 | 1 << 5, 4, BRESP, 0, 0,
                                    1 | 4 << 2 | 2 << 5, 0x24])
    two_waiting = bytes([NEVER_DOWN | 0x08, OPEN, 0, OPEN, 0, REQ, 0, 0, 0, 0, REQ, 1, 0, 0, 0])
    p["queue_one_slot"] = two_waiting + ok10 + bytes([BRESP, 1, 0, 0x08, 0])
    p["queue_timeout"] = two_waiting + bytes([TICK, 6]) + ok10
    p["backend_resets_mid_answer"] = bytes([NEVER_DOWN, OPEN, 0]) + get + bytes(
        [BRESP, 0, 0, 5 << 2, 2, BCLOSE, 0x80])
    p["client_half_close"] = bytes([NEVER_DOWN, OPEN, 0]) + get + bytes([SHUT, 0]) + ok10
    p["drain"] = bytes([NEVER_DOWN, OPEN, 0, OPEN, 0]) + get + bytes([DRAIN]) + ok10
    p["two_backends_failover"] = bytes([0x80, OPEN, 0]) + get + bytes([BCLOSE, 0]) + get + ok10
    p["slow_body"] = bytes([NEVER_DOWN, OPEN, 0, REQ, 0, 3, 1 | 4 << 2, 3, TICK, 10, BODY, 0, 0, TICK, 10])
    p.update(h2_programs(get, ok10))
    return p


def h2_programs(get, ok10):
    """HTTP/2 clients (conn_h2.c): REQ, BODY, RAW, SMUGGLE on an HTTP/2
    client become streams, held bodies, raw frames, malformed requests;
    H2 slot kind x y sends control frames."""
    h2 = bytes([NEVER_DOWN, OPEN, HTTP2])
    p = {}
    p["h2_get"] = h2 + get + ok10
    p["h2_tls12"] = bytes([NEVER_DOWN, OPEN, HTTP2 | TLS12]) + get + ok10
    p["h2_three_streams_answered_out_of_order"] = h2 + get * 3 + bytes([BRESP, 2, 0, 0x08, 0, BRESP, 0, 0, 0x0c, 0,
                                                                     BRESP, 1, 0, 0x10, 0])
    p["h2_post_in_windows"] = h2 + bytes([REQ, 0, 3, 1 | 7 << 2 | 6 << 5, 0, BRESP, 0, 0, 0x08, 0])
    p["h2_post_chunked_held"] = h2 + bytes([REQ, 0, 3, 2 | 5 << 2 | 4 << 5, 1, BODY, 0, 3, BODY, 0, 6,
                                            BRESP, 0, 0, 1 | 6 << 2 | 5 << 5, 0])
    p["h2_trailers"] = h2 + bytes([REQ, 0, 4, 3 | 3 << 2, 0, BRESP, 0, 0, 0x08, 0])
    p["h2_big_answer_window_0"] = bytes([NEVER_DOWN, OPEN, HTTP2 | 1 << 3]) + get + bytes(
        [BRESP, 0, 0, 7 << 2, 0, H2, 0, 2, 10, 0, H2, 0, 2, 11, 0, TICK, 12])
    p["h2_big_answer_small_window"] = bytes([NEVER_DOWN, OPEN, HTTP2 | 2 << 3]) + get + bytes(
        [BRESP, 0, 0, 6 << 2, 0, TICK, 12, TICK, 12])
    p["h2_continuations"] = h2 + bytes([REQ, 0, 0x10, 2 << 5, 0x18, BRESP, 0, 0, 0x08, 0])
    p["h2_padded_priority"] = h2 + bytes([REQ, 0, 3, 1 | 4 << 2 | 4 << 5, 0x60, BRESP, 0, 0, 0x08, 0])
    p["h2_head"] = h2 + bytes([REQ, 0, 2, 0, 0, BRESP, 0, 0, 0x08, 0])
    p["h2_end_stream_held"] = h2 + bytes([REQ, 0, 0, 0, 1, TICK, 10, BODY, 0, 0, BRESP, 0, 0, 0x08, 0])
    p["h2_websocket"] = h2 + bytes([REQ, 0, 0x80, 0, 0, BRESP, 0, 8, 0x08, 0]) + raw(BRAW, 0, b"pong")
    p["h2_expect_continue"] = h2 + bytes([REQ, 0, 0x23, 1 | 3 << 2, 1, BRESP, 0, 9, 0x08, 0, BODY, 0, 6])
    p["h2_early_answer"] = h2 + bytes([REQ, 0, 3, 1 | 6 << 2, 1]) + ok10 + bytes([BODY, 0, 6])
    p["h2_interim_with_body"] = h2 + get + bytes([BRESP, 0, 11, 0x08, 0]) + get + ok10
    p["h2_backend_resets_mid_answer"] = h2 + get + bytes([BRESP, 0, 0, 5 << 2, 2, BCLOSE, 0x80])
    p["h2_response_timeout"] = h2 + get + bytes([TICK, 13, TICK, 14])
    p["h2_first_stream_timeout"] = h2 + bytes([TICK, 9, TICK, 9])
    p["h2_idle_timeout"] = h2 + get + ok10 + bytes([TICK, 11, TICK, 11])
    p["h2_drain"] = h2 + get + bytes([DRAIN]) + ok10 + get
    p["h2_client_closes_midway"] = h2 + get + bytes([CLOSE, 0]) + ok10
    p["h2_raw_garbage"] = h2 + raw(RAW, 0, b"\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00\x10\x00garbage")
    p["h2_broken_magic"] = bytes([NEVER_DOWN, OPEN, HTTP2 | 6 << 3]) + get
    p["h2_no_settings"] = bytes([NEVER_DOWN, OPEN, HTTP2 | 5 << 3]) + get
    p["h2_table_0_one_stream"] = bytes([NEVER_DOWN, OPEN, HTTP2 | 3 << 3]) + get * 2 + ok10 + bytes(
        [BRESP, 1, 0, 0x08, 0])
    p["h2_big_frames"] = bytes([NEVER_DOWN, OPEN, HTTP2 | 4 << 3]) + get + bytes([BRESP, 0, 0, 7 << 2, 0])
    p["h2_no_ack"] = bytes([NEVER_DOWN, OPEN, HTTP2 | 0x80]) + get + ok10
    p["h2_and_h1_side_by_side"] = h2 + bytes([OPEN, 0]) + get + bytes([REQ, 1, 0, 0, 0]) + ok10 + bytes(
        [BRESP, 1, 0, 0x08, 0])
    p["h2_two_clients"] = h2 + bytes([OPEN, HTTP2]) + get + bytes([REQ, 1, 0, 0, 0]) + ok10 + bytes(
        [BRESP, 1, 0, 0x08, 0])
    p["h2_concurrent_streams"] = h2 + get * 10 + ok10 * 10
    p["h2_one_backend_slot"] = bytes([NEVER_DOWN | 0x08]) + h2[1:] + get * 2 + ok10 + bytes([BRESP, 0, 0, 0x08, 0])
    p["h2_no_pooling"] = bytes([NEVER_DOWN | 0x10]) + h2[1:] + get + ok10 + get + ok10
    for i in range(N_H2_SHAPES):
        p["h2_smuggle_%02d" % i] = h2 + bytes([SMUGGLE, 0, i, BRESP, 0, 0, 0x08, 0])
    for k in range(N_H2_FRAMES):
        p["h2_frame_%02d" % k] = h2 + get + bytes([H2, 0, k, 1, 5]) + ok10 + get + ok10
    p["h2_rapid_reset_flood"] = h2 + bytes([H2, 0, 12, 0, 31, H2, 0, 12, 0, 31]) + ok10
    p["h2_open_header_block"] = h2 + bytes([H2, 0, 16, 0, 0, TICK, 11, TICK, 13, TICK, 15])
    return p


def client_hellos():
    hellos = {}
    for name, maxver in (("tls13", None), ("tls12", ssl.TLSVersion.TLSv1_2)):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if maxver:
            ctx.maximum_version = maxver
        rd, wr = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(rd, wr, server_hostname="www.rampart.test")
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        rtype, ver, hello, _ = tls_hello.first_record(wr.read())
        hellos[name + "_whole"] = tls_hello.records(rtype, ver, hello, 16384)
        for size in (1, 3, 100):
            hellos["%s_in_%d_byte_records" % (name, size)] = tls_hello.records(rtype, ver, hello, size)
        hellos[name + "_extension_twice"] = tls_hello.records(
            rtype, ver, tls_hello.duplicate_first_extension(hello), 16384)
        hellos[name + "_then_ccs"] = hellos[name + "_whole"] + b"\x14\x03\x03\x00\x01\x01"
    hellos["plain_http"] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    hellos["interleaved_alert"] = b"\x16\x03\x01\x00\x01\x01\x15\x03\x03\x00\x02\x02\x28"
    return hellos


def write(folder, files, prefix=b""):
    os.makedirs(folder, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(prefix + data)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    write(os.path.join(root, "fuzz_conn"), programs())
    write(os.path.join(root, "fuzz_tls_hello"), client_hellos(), prefix=b"\x07")  # the first byte: how reads are cut


if __name__ == "__main__":
    main()
