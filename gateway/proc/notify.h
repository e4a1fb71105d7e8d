/*
 * notify: the service manager's readiness protocol (systemd's sd_notify,
 * Type=notify), written by hand: one datagram of "KEY=value" lines to the
 * AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for an
 * abstract one). No libsystemd is linked; without $NOTIFY_SOCKET every
 * call does nothing, so the daemon runs the same under any supervisor.
 *
 * What the parent says, and when:
 *   READY=1       the first relay is serving (systemctl start returns)
 *   RELOADING=1   a SIGHUP reload began (with MONOTONIC_USEC, as systemd
 *                 253's Type=notify-reload wants)
 *   READY=1       that reload ended, committed or refused
 *   STOPPING=1    SIGTERM/SIGINT: draining
 *   STATUS=...    a line for `systemctl status` with each of them
 *
 * Parent only, one socket per process, best effort: a lost datagram is
 * the service manager's timeout to handle, never the daemon's failure.
 */
#ifndef RAMPART_GATEWAY_PROC_NOTIFY_H
#define RAMPART_GATEWAY_PROC_NOTIFY_H

#include <stddef.h>

#define NOTIFY_MSG_MAX 256 /* one datagram: a state and a STATUS= line */

enum notify_state {
    NOTIFY_READY,
    NOTIFY_RELOADING,
    NOTIFY_STOPPING,
};

/* Reads and unsets $NOTIFY_SOCKET (the relay must not inherit it) and
 * opens the socket. Call once, early. Quietly does nothing without it. */
void notify_init(void);

/* The datagram for `state` with `status` as STATUS= (may be NULL) and, for
 * RELOADING, the CLOCK_MONOTONIC time in microseconds. Pure (tests).
 * Returns its length. */
size_t notify_format(enum notify_state state, const char *status, unsigned long long monotonic_us, char *out,
                     size_t len);

/* Sends it (nothing without $NOTIFY_SOCKET). */
void notify_send(enum notify_state state, const char *status);

/* Closes the socket (at exit). */
void notify_close(void);

#endif /* RAMPART_GATEWAY_PROC_NOTIFY_H */
