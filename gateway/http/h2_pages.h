/*
 * h2_pages: the memory of one nghttp2 session. nghttp2 keeps a frame
 * buffer of about 16 KiB for a session's whole life, though it only holds
 * the frame being written; an idle HTTP/2 connection would carry it for
 * nothing. Blocks of H2_PAGES_MIN bytes or more get pages of their own
 * here, and h2_pages_release gives those pages back (MADV_DONTNEED: the
 * next touch finds them zeroed, which nghttp2 never reads before it
 * writes), as tls_conn_idle does for mbedTLS's record buffers. Everything
 * else goes to malloc. The caller releases only while the session has no
 * frame in hand (h2_session_idle checks).
 *
 * One session, one thread. h2_pages_free unmaps what the session did not
 * free (nothing, normally).
 */
#ifndef RAMPART_GATEWAY_HTTP_H2_PAGES_H
#define RAMPART_GATEWAY_HTTP_H2_PAGES_H

#include <nghttp2/nghttp2.h>
#include <stddef.h>

#define H2_PAGES_MIN 16384 /* blocks this large are paged: nghttp2's frame buffer */
#define H2_PAGES_MAX                                                                                         \
    8 /* such blocks at once (the frame buffer, a chunk per 16 KiB of a long                                 \
         header block); more go to malloc */

struct h2_paged {
    void *p;
    size_t len; /* whole pages */
};

struct h2_pages {
    struct h2_paged paged[H2_PAGES_MAX];
};

/* nghttp2_mem callbacks on pg (which must outlive the session). */
void h2_pages_mem(struct h2_pages *pg, nghttp2_mem *out);
void h2_pages_release(struct h2_pages *pg);
void h2_pages_free(struct h2_pages *pg);
/* Bytes of paged blocks now (for the tests). */
size_t h2_pages_mapped(const struct h2_pages *pg);

#endif /* RAMPART_GATEWAY_HTTP_H2_PAGES_H */
