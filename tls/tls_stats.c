/*
 * tls_stats.c: process-wide handshake counters and the sorting of mbedTLS
 * errors into a failure reason plus one readable line for the log.
 */
#include "tls/tls_internal.h"

#include <stdio.h>
#include <string.h>

struct tls_stats tls_stats;

static const char *const tls_fail_names[TLS_FAIL_COUNT] = {
    [TLS_FAIL_VERSION] = "version", [TLS_FAIL_CIPHER] = "cipher",       [TLS_FAIL_SNI] = "sni",
    [TLS_FAIL_ALERT] = "alert",     [TLS_FAIL_PROTOCOL] = "protocol",   [TLS_FAIL_TIMEOUT] = "timeout",
    [TLS_FAIL_CLOSED] = "closed",   [TLS_FAIL_KEYHOLDER] = "keyholder", [TLS_FAIL_OTHER] = "other",
};

const char *tls_fail_reason_name(enum tls_fail_reason reason)
{
    return (unsigned)reason < TLS_FAIL_COUNT ? tls_fail_names[reason] : "other";
}

void tls_count_failure(enum tls_fail_reason reason)
{
    if ((unsigned)reason >= TLS_FAIL_COUNT)
        reason = TLS_FAIL_OTHER;
    atomic_fetch_add_explicit(&tls_stats.failures[reason], 1, memory_order_relaxed);
}

/* RFC 8446 6 / RFC 5246 7.2 alert descriptions a client may send. */
static const char *tls_alert_name(unsigned char alert)
{
    switch (alert) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return "unknown";
    }
}

/* mbedTLS keeps the alert record it just read in in_msg: [level, description]. */
static unsigned char tls_last_alert(const struct tls_conn *conn)
{
    const unsigned char *msg = conn->ssl.MBEDTLS_PRIVATE(in_msg);
    return msg != NULL ? msg[1] : 0;
}

/* A first record starting with an upper-case letter is not TLS (record
 * types are 20-24): most likely "GET /..." sent to the HTTPS port. */
static bool tls_looks_like_http(const struct tls_conn *conn)
{
    const unsigned char *hdr = conn->ssl.MBEDTLS_PRIVATE(in_hdr);
    return !conn->established && hdr != NULL && hdr[0] >= 'A' && hdr[0] <= 'Z';
}

static enum tls_fail_reason tls_classify_protocol(int ret)
{
    switch (ret) {
    case MBEDTLS_ERR_SSL_DECODE_ERROR:
    case MBEDTLS_ERR_SSL_INVALID_RECORD:
    case MBEDTLS_ERR_SSL_INVALID_MAC:
    case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
    case MBEDTLS_ERR_SSL_UNEXPECTED_RECORD:
    case MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER:
    case MBEDTLS_ERR_SSL_UNSUPPORTED_EXTENSION:
    case MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL:
    case MBEDTLS_ERR_SSL_UNRECOGNIZED_NAME:
    case MBEDTLS_ERR_SSL_BAD_INPUT_DATA: return TLS_FAIL_PROTOCOL;
    default: return TLS_FAIL_OTHER;
    }
}

enum tls_fail_reason tls_classify_error(const struct tls_conn *conn, int ret, char *text, size_t text_len)
{
    if (tls_signer_take_failure(text, text_len))
        return TLS_FAIL_KEYHOLDER;
    switch (ret) {
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
        snprintf(text, text_len, "unsupported protocol version (we accept %s)",
                 conn->srv->conf.MBEDTLS_PRIVATE(min_tls_version) == MBEDTLS_SSL_VERSION_TLS1_3
                     ? "TLS 1.3"
                     : "TLS 1.2 and 1.3");
        return TLS_FAIL_VERSION;
    case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
        snprintf(text, text_len, "no cipher suite, group or signature algorithm in common");
        return TLS_FAIL_CIPHER;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: {
        unsigned char alert = tls_last_alert(conn);
        snprintf(text, text_len, "client sent fatal alert %u (%s)", alert, tls_alert_name(alert));
        return TLS_FAIL_ALERT;
    }
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
        snprintf(text, text_len, "client sent close_notify");
        return TLS_FAIL_CLOSED;
    case MBEDTLS_ERR_SSL_CONN_EOF:
        snprintf(text, text_len, "client closed the connection");
        return TLS_FAIL_CLOSED;
    case -0x0050: /* tls_conn.c TLS_ERR_SOCKET_CLOSED */
        snprintf(text, text_len, "connection reset: %s", strerror(conn->sys_errno));
        return TLS_FAIL_CLOSED;
    case -0x004E: /* tls_conn.c TLS_ERR_SOCKET */
        snprintf(text, text_len, "socket error: %s", strerror(conn->sys_errno));
        return TLS_FAIL_OTHER;
    }
    if (ret == MBEDTLS_ERR_SSL_INVALID_RECORD && tls_looks_like_http(conn)) {
        snprintf(text, text_len, "not TLS: the client sent plain HTTP to the HTTPS port");
        return TLS_FAIL_PROTOCOL;
    }
    char why[96];
    mbedtls_strerror(ret, why, sizeof why);
    snprintf(text, text_len, "%s", why);
    return tls_classify_protocol(ret);
}
