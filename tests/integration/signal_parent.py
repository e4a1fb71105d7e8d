#!/usr/bin/python3
"""Run as the relay's user (setpriv): try to stop the parent process, one
of the two ways a relay could (issue 10, defect 7). Prints one line:

  kill   -> "kill: EPERM" | "kill: sent"    kill(PARENT, SIGSTOP)
  sigio  -> "sigio: armed" | "sigio: ERR"   a socket whose owner is PARENT,
            signal SIGSTOP, O_ASYNC, then input on it: the kernel sends the
            signal if it may (arming needs no permission, delivery does)

Usage: signal_parent.py kill|sigio PARENT_PID
"""
import fcntl
import os
import signal
import socket
import sys
import time

F_SETOWN = 8
F_SETSIG = 10


def by_kill(pid):
    try:
        os.kill(pid, signal.SIGSTOP)
        print("kill: sent", flush=True)
    except PermissionError:
        print("kill: EPERM", flush=True)


def by_sigio(pid):
    a, b = socket.socketpair()
    try:
        fcntl.fcntl(a, F_SETOWN, pid)
        fcntl.fcntl(a, F_SETSIG, signal.SIGSTOP)
        fcntl.fcntl(a, fcntl.F_SETFL, fcntl.fcntl(a, fcntl.F_GETFL) | os.O_ASYNC)
        b.send(b"x")  # input on a: SIGSTOP to its owner, if the kernel allows it
        print("sigio: armed", flush=True)
    except OSError as e:
        print("sigio: " + e.strerror, flush=True)
    time.sleep(0.2)


if __name__ == "__main__":
    {"kill": by_kill, "sigio": by_sigio}[sys.argv[1]](int(sys.argv[2]))
