#!/usr/bin/env python3
"""The dependency rule of Rampart's source tree, checked (`make lint`).

Layers, lowest first. A file may include headers of its own folder and of
any LOWER layer; never of its own layer's other folders or of a higher one:

    0  common/
    1  tls/  firewall/
    2  gateway/event/  gateway/http/  gateway/config/
    3  gateway/upstream/  gateway/ha/
    4  gateway/admin/
    5  gateway/proxy/
    6  gateway/proc/
    7  gateway/main.c

Ownership rules on top (ARCHITECTURE.md, "Invariants"):
  - only tls/ includes mbedTLS or PSA headers;
  - in the daemon, only gateway/proc/parent_firewall.c and its thread,
    gateway/proc/parent_blocker.c, include firewall/;
  - only firewall/ includes libnftnl headers.

And no call cycles between files: object files (given as arguments, the
build's .o files) must not use each other's symbols in both directions,
except the groups listed in ONE_STATE_MACHINE, which are one state machine
split over files on purpose (their shared header says so).

Usage: check-layers.py [--root DIR] [OBJECT.o ...]
Prints `file:line: includes X: RULE` for each violation and exits 1.
"""
import os
import re
import subprocess
import sys

LAYERS = [
    ["common"],
    ["tls", "firewall"],
    ["gateway/event", "gateway/http", "gateway/config"],
    ["gateway/upstream", "gateway/ha"],
    ["gateway/admin"],
    ["gateway/proxy"],
    ["gateway/proc"],
    ["gateway/main.c"],
]
RANK = {folder: rank for rank, folders in enumerate(LAYERS) for folder in folders}
RULE_TEXT = ("common <- tls, firewall <- gateway/{event,http,config} <- gateway/{upstream,ha} "
             "<- gateway/admin <- gateway/proxy <- gateway/proc <- gateway/main.c")
FIREWALL_GATE = ("gateway/proc/parent_firewall.c", "gateway/proc/parent_blocker.c")
ONE_STATE_MACHINE = [
    {"gateway/proxy/conn.c", "gateway/proxy/conn_http.c", "gateway/proxy/proxy.c",
     "gateway/proxy/proxy_queue.c", "gateway/proxy/h2_conn.c", "gateway/proxy/h2_stream.c"},
    {"gateway/ha/peer_link.c", "gateway/ha/peer_conn.c"},
]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def unit_of(path):
    """The layer folder of a source path, or None outside the layered tree."""
    if path == "gateway/main.c":
        return path
    best = None
    for folder in RANK:
        if path.startswith(folder + "/") and (best is None or len(folder) > len(best)):
            best = folder
    return best


def check_includes(root):
    problems = []
    for top in ("common", "tls", "firewall", "gateway"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    rel = os.path.relpath(os.path.join(dirpath, name), root)
                    problems += check_file(root, rel)
    return problems


def check_file(root, rel):
    problems = []
    unit = unit_of(rel)
    if unit is None:
        return [f"{rel}:1: not in any layer of the rule: {RULE_TEXT}"]
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, target = m.groups()
            why = check_one(rel, unit, kind, target)
            if why:
                problems.append(f"{rel}:{lineno}: includes {target}: {why}")
    return problems


def check_one(rel, unit, kind, target):
    if kind == "<":
        if target.startswith(("mbedtls/", "psa/")) and unit != "tls":
            return "only tls/ includes mbedTLS headers"
        if target.startswith("libnftnl/") and unit != "firewall":
            return "only firewall/ talks nfnetlink (libnftnl)"
        return None
    tunit = unit_of(target)
    if tunit is None:
        return None  # a header outside the tree (bench, tests) is not ours to rank
    if tunit == "firewall" and unit.startswith("gateway/") and rel not in FIREWALL_GATE:
        return f"in the daemon only {' and '.join(FIREWALL_GATE)} include firewall/"
    if tunit == unit:
        return None
    if RANK[tunit] < RANK[unit]:
        return None
    return f"{unit}/ (layer {RANK[unit]}) may not include {tunit}/ (layer {RANK[tunit]}); rule: {RULE_TEXT}"


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBR":
            defined.add(parts[2])
    return defined, used


def check_cycles(root, objects):
    src_of = {}
    for obj in objects:
        rel = os.path.relpath(obj, root)
        src = re.sub(r"^[^/]+/obj/", "", rel)[:-2] + ".c"
        src_of[obj] = src
    owner, uses = {}, {}
    for obj, src in src_of.items():
        defined, used = symbols(obj)
        for sym in defined:
            owner[sym] = src
        uses[src] = used
    edges = {src: {owner[s] for s in used if s in owner and owner[s] != src} for src, used in uses.items()}
    problems = []
    for a in sorted(edges):
        for b in sorted(edges[a]):
            if a < b and a in edges.get(b, set()):
                if any(a in g and b in g for g in ONE_STATE_MACHINE):
                    continue
                problems.append(f"{a}:1: calls {b} and is called by it: a file-level cycle "
                                "(give the shared part its own file, or make the calls go one way)")
    return problems


def main():
    args = sys.argv[1:]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args[:1] == ["--root"]:
        root, args = os.path.abspath(args[1]), args[2:]
    problems = check_includes(root) + check_cycles(root, args)
    for p in problems:
        print(p)
    if problems:
        print(f"lint: {len(problems)} layer problem(s)")
        return 1
    print("lint: layers clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
