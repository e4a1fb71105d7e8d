/*
 * conn_oracle: what correct peers of the gateway see, as checks on the
 * bytes that cross a client socket or a backend socket of conn_harness.h.
 * The stateful fuzzer (tests/fuzz/fuzz_conn.c) applies them after every
 * step; a unit test reproducing one of its findings can apply the same.
 * No cmocka: every check returns false and says why in `why`.
 *
 * Tags. A request the test makes carries "~A.B" in its path: A the client
 * connection (1..CONN_ORACLE_CONNS), B the request on it. The fake backend
 * reads the tag from the request line it got and answers with the header
 * "~tag: A.B". Bytes a test sends raw pass through conn_oracle_scrub,
 * which removes every '~', so a tag can only come from a tagged request
 * and a "~tag" header only from the fake backend. That makes the client
 * side check exact: each final response a client gets answers its own
 * requests in order, and one tagged for another request or another
 * connection crossed from one exchange to another.
 *
 * The backend side parses, with llhttp in strict mode, both what the
 * gateway sent on a backend socket and what the fake backend answered:
 *  - the gateway never sends a second request before the first was
 *    answered (it does not pipeline), nor anything llhttp cannot parse;
 *  - after an early answer (the final head went out while the request
 *    was not complete) the gateway sends nothing more, once it has seen
 *    the answer (conn_oracle_backend_seal);
 *  - a request whose method is not idempotent reaches a backend once;
 *  - a request the test marked as one the gateway must refuse (a
 *    smuggling shape) never reaches one;
 *  - conn_oracle_backend_poolable says whether the socket sits between
 *    two exchanges: the only state in which it may go back to the pool
 *    (after an early answer the gateway saw, never).
 *
 * An answer the fake backend sends while no request is open but the
 * gateway's next request is on its way (written, not yet read: see
 * conn_oracle_backend_in_flight) is read by the gateway as that request's
 * answer, and rightly: nothing on the wire tells the two apart. The oracle
 * pairs them the same way (the request arrives answered, and its client's
 * answer is excused, CONN_ORACLE_F_RAW); with nothing on its way, such an
 * answer is unasked and the socket must never be pooled.
 *
 * Names carry conn_oracle_. Plain structs the caller owns, no allocation.
 */
#ifndef RAMPART_TESTS_UNIT_HELPERS_CONN_ORACLE_H
#define RAMPART_TESTS_UNIT_HELPERS_CONN_ORACLE_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONN_ORACLE_WHY      256 /* text of a finding */
#define CONN_ORACLE_CONNS    64  /* client connections a world tracks (tags 1..64) */
#define CONN_ORACLE_REQS     256 /* requests per connection it tracks (tags 1..255) */
#define CONN_ORACLE_INFLIGHT 64  /* requests a client has sent and not yet had answered */
#define CONN_ORACLE_URL_MAX  512 /* request target bytes a backend looks for a tag in */
#define CONN_ORACLE_TAG_HDR  "~tag"

/* "~A.B" into out (NUL-terminated); its length. */
int conn_oracle_tag(char *out, size_t cap, unsigned conn, unsigned req);
/* Every '~' in buf becomes '-'. */
void conn_oracle_scrub(void *buf, size_t len);

/* What a run knows about all requests (the replay and refusal checks). */
struct conn_oracle_world {
    uint8_t flags[CONN_ORACLE_CONNS + 1][CONN_ORACLE_REQS]; /* CONN_ORACLE_F_* */
};
#define CONN_ORACLE_F_SEEN   1u /* a backend got its head */
#define CONN_ORACLE_F_REFUSE 2u /* the gateway must never forward it */
#define CONN_ORACLE_F_RAW    4u /* raw bytes crossed a backend socket it was on: its body may hold them */

void conn_oracle_world_init(struct conn_oracle_world *w);
void conn_oracle_world_refuse(struct conn_oracle_world *w, unsigned conn, unsigned req);

/* ---- the client side --------------------------------------------------------- */

struct conn_oracle_client {
    llhttp_t p;
    llhttp_settings_t s;
    const struct conn_oracle_world *world; /* CONN_ORACLE_F_RAW of its requests; may be NULL */
    unsigned conn;
    bool clean;   /* every request sent was tagged and known: answers are checked in order */
    bool stopped; /* a tunnel, or an unclean stream the oracle lost track of */
    bool closed;  /* a final answer said the connection ends */
    bool failed;
    struct {
        uint16_t req;
        bool head;
    } q[CONN_ORACLE_INFLIGHT];
    unsigned q_first, q_len;
    unsigned answered;    /* final responses seen */
    unsigned raw_excused; /* unclean: other connections' answers taken for its CONN_ORACLE_F_RAW requests */
    char field[16];
    size_t field_len;
    char value[32];
    size_t value_len;
    bool in_tag;
    long tag_conn, tag_req; /* of the response being parsed, -1: none */
    char why[CONN_ORACLE_WHY];
};

/* An answer to a request the world marks CONN_ORACLE_F_RAW is not held
 * to its tag: that request went out on a backend socket on which the fake
 * backend had sent (or queued) an answer nobody asked for, and such an
 * answer, when it arrives after the gateway wrote the next request on the
 * socket, is read as that request's answer. On an unclean connection
 * (raw bytes sent: which answer is for which request is not known) an
 * answer of another connection is excused as often as the connection has
 * CONN_ORACLE_F_RAW requests, once each. No proxy can tell the two apart (HTTP/1.1
 * carries no request id; SECURITY.md, "Against a hostile backend"); what
 * the gateway can see (stray bytes on an idle socket, or in the batch
 * that takes it) it refuses, and the tests of that are exact. */
void conn_oracle_client_init(struct conn_oracle_client *o, unsigned conn, const struct conn_oracle_world *w);
/* A tagged request (B = req) left; head: it is a HEAD (no body comes). */
void conn_oracle_client_sent(struct conn_oracle_client *o, unsigned req, bool head);
/* Bytes the oracle does not know the meaning of left: answers are no
 * longer matched in order, only checked to belong to this connection. */
void conn_oracle_client_sent_raw(struct conn_oracle_client *o);
/* Bytes the client received, in order. false: a finding (o->why). */
bool conn_oracle_client_recv(struct conn_oracle_client *o, const char *data, size_t len);

/* ---- the backend side --------------------------------------------------------- */

/* A request a backend got. */
struct conn_oracle_req {
    long conn, req; /* its tag, -1: none */
    bool head, done, idempotent;
    bool answered; /* an answer went out while it was on its way (conn_oracle_backend_in_flight) */
};

struct conn_oracle_backend {
    llhttp_t rq, rs; /* what the gateway sent; what the fake backend sent */
    llhttp_settings_t rqs, rss;
    struct conn_oracle_world *world;
    struct conn_oracle_req q[4]; /* got, not yet answered (the gateway sends one at a time) */
    unsigned q_len;
    char url[CONN_ORACLE_URL_MAX];
    size_t url_len;
    bool req_open;        /* a request begun and not complete */
    bool resp_open;       /* the fake backend's answer begun and not complete */
    bool resp_final_head; /* ...and its final head is out */
    bool rq_bad, rs_bad;  /* unparseable: the gateway's bytes (a finding) / ours (raw) */
    bool tunnel;
    bool early;           /* a final head went out while the request was not complete */
    bool sealed;          /* ...and the gateway has seen it: it sends nothing more */
    size_t sealed_slack;  /* bytes written before the seal still allowed to arrive */
    bool unasked;         /* an answer went out with no request to answer */
    bool in_flight;       /* the gateway's bytes are on their way (conn_oracle_backend_in_flight) */
    unsigned ahead;       /* answers that went out for requests still on their way */
    bool resp_ahead;      /* the answer being parsed is one of those */
    bool raw;             /* raw bytes went out on it: its requests are CONN_ORACLE_F_RAW */
    bool last_keep_alive; /* the last final answer keeps the connection */
    bool req_keep_alive;  /* ...and so did the last request, as the backend read it */
    bool failed;
    uint64_t got, sent; /* bytes */
    char why[CONN_ORACLE_WHY];
};

void conn_oracle_backend_init(struct conn_oracle_backend *o, struct conn_oracle_world *w);
/* Bytes the gateway sent on the socket, in order. false: a finding. */
bool conn_oracle_backend_recv(struct conn_oracle_backend *o, const char *data, size_t len);
/* Bytes the fake backend sent (its own, tagged answers or raw ones). */
void conn_oracle_backend_sent(struct conn_oracle_backend *o, const char *data, size_t len);
/* Before conn_oracle_backend_sent: whether bytes the gateway wrote on the
 * socket have not reached the fake backend yet (the gateway's send queue,
 * SIOCOUTQ, with small windows). An answer head that goes out with no
 * request open answers the request on its way, if there is one. */
void conn_oracle_backend_in_flight(struct conn_oracle_backend *o, bool in_flight);
/* No request of the backend's own is open or waits for its answer: an
 * answer that goes out now answers the request on its way, or none. */
bool conn_oracle_backend_between_requests(const struct conn_oracle_backend *o);
/* The fake backend sent raw bytes (or bytes into a tunnel): every
 * request on the socket, open or still to come, is CONN_ORACLE_F_RAW. */
void conn_oracle_backend_sent_raw(struct conn_oracle_backend *o);
/* The gateway knows about the early answer: from now on it sends nothing
 * beyond `in_flight` bytes, those it had written before and that have not
 * arrived yet (its socket's send queue, SIOCOUTQ: with small windows
 * loopback TCP may deliver them only after a retransmission). */
void conn_oracle_backend_seal(struct conn_oracle_backend *o, size_t in_flight);
/* The oldest request not answered yet: true and its tag (-1: none) and
 * whether it is a HEAD; false when there is none. */
bool conn_oracle_backend_next(const struct conn_oracle_backend *o, long *conn, long *req, bool *head);
/* Whether the socket is between exchanges: every request complete and
 * answered by a complete answer that keeps the connection, nothing raw,
 * no early answer the gateway saw, no tunnel. false with the reason in why. */
bool conn_oracle_backend_poolable(const struct conn_oracle_backend *o, char *why, size_t cap);

#endif /* RAMPART_TESTS_UNIT_HELPERS_CONN_ORACLE_H */
