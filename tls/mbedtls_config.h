/*
 * Rampart's mbedTLS 3.6 build configuration: a TLS *server* and nothing else.
 *
 * scripts/deps.sh builds mbedTLS with this file (MBEDTLS_CONFIG_FILE), so what
 * is not enabled here is not in the binary: no DTLS, no SSL 3 / TLS 1.0 / 1.1,
 * no CBC suites, no static-RSA key exchange, no renegotiation. Each line says
 * why it is on. Changing this file rebuilds mbedTLS on the next `make`.
 */
#ifndef RAMPART_MBEDTLS_CONFIG_H
#define RAMPART_MBEDTLS_CONFIG_H

/* ---- platform ---------------------------------------------------------- */
#define MBEDTLS_HAVE_ASM         /* assembly bignum multiply: faster RSA/ECC */
#define MBEDTLS_HAVE_TIME        /* ticket lifetimes and key rotation */
#define MBEDTLS_HAVE_TIME_DATE   /* certificate validity checks */
#define MBEDTLS_FS_IO            /* load certificates and keys from files */
#define MBEDTLS_THREADING_C      /* one event loop per worker thread */
#define MBEDTLS_THREADING_PTHREAD /* ... using POSIX threads */
#define MBEDTLS_ERROR_C          /* readable error strings in the log */
#define MBEDTLS_VERSION_C        /* `rampart --version` reports the runtime version */

/* ---- randomness ---------------------------------------------------------- */
#define MBEDTLS_ENTROPY_C        /* kernel entropy (getrandom) */
#define MBEDTLS_CTR_DRBG_C       /* the DRBG the TLS layer draws from */

/* ---- symmetric crypto: AEAD only ---------------------------------------- */
#define MBEDTLS_AES_C            /* AES-GCM suites */
#define MBEDTLS_AESNI_C          /* AES-NI + PCLMULQDQ at run time when the CPU has them */
#define MBEDTLS_GCM_C            /* AES-GCM: the common AEAD */
#define MBEDTLS_CHACHA20_C       /* ChaCha20-Poly1305 for CPUs without AES-NI */
#define MBEDTLS_POLY1305_C       /* ... */
#define MBEDTLS_CHACHAPOLY_C     /* ... */
#define MBEDTLS_CIPHER_C         /* cipher abstraction used by the TLS layer */

/* ---- hashes ---------------------------------------------------------------- */
#define MBEDTLS_MD_C             /* hash abstraction, HMAC */
#define MBEDTLS_SHA224_C         /* required alongside SHA-256 by the x509 layer */
#define MBEDTLS_SHA256_C         /* TLS_AES_128_GCM_SHA256, PRF, signatures */
#define MBEDTLS_SHA384_C         /* TLS_AES_256_GCM_SHA384 */
#define MBEDTLS_SHA512_C         /* SHA-384 is built on it */
#define MBEDTLS_SHA1_C           /* only to parse legacy CA certificates; never a MAC here */
#define MBEDTLS_HKDF_C           /* TLS 1.3 key schedule */

/* ---- public key --------------------------------------------------------- */
#define MBEDTLS_BIGNUM_C         /* RSA and ECC arithmetic */
#define MBEDTLS_ECP_C            /* elliptic curves */
#define MBEDTLS_ECP_NIST_OPTIM   /* fast reduction for NIST curves (P-256) */
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED /* P-256: ECDSA certificates, ECDHE */
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED /* P-384: CA chains and clients that want it */
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED /* X25519: the default key share */
#define MBEDTLS_ECDH_C           /* ECDHE key exchange */
#define MBEDTLS_ECDSA_C          /* ECDSA certificates */
#define MBEDTLS_ECDSA_DETERMINISTIC /* RFC 6979: no nonce-reuse risk from a bad RNG */
#define MBEDTLS_HMAC_DRBG_C      /* needed by deterministic ECDSA */
#define MBEDTLS_RSA_C            /* RSA certificates */
#define MBEDTLS_PKCS1_V15        /* RSA PKCS#1 v1.5 signatures (TLS 1.2) */
#define MBEDTLS_PKCS1_V21        /* RSA-PSS: mandatory for RSA certificates in TLS 1.3 */
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT /* parse PSS-signed certificates */
/* MBEDTLS_PSA_P256M_DRIVER_ENABLED stays off: measured 5-8x slower P-256 here.
 * MBEDTLS_ECDH_VARIANT_EVEREST_ENABLED is off: X25519 runs in libsodium. */

/* ---- certificates and keys ------------------------------------------------ */
#define MBEDTLS_OID_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C     /* ECDSA signature encoding */
#define MBEDTLS_BASE64_C         /* PEM */
#define MBEDTLS_PEM_PARSE_C      /* PEM certificate and key files */
#define MBEDTLS_PK_C             /* private key abstraction */
#define MBEDTLS_PK_PARSE_C       /* parse private keys */
#define MBEDTLS_PK_WRITE_C       /* PSA key import of parsed keys */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C /* parse our certificate chains */

/* ---- PSA: all of TLS runs on the PSA crypto API -------------------------- */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_USE_PSA_CRYPTO   /* TLS 1.2 too: records, ECDHE, signatures, tickets through PSA (and our drivers) */
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC /* two record keys per connection: no fixed 32-key store */
/* PSA buffers are this process's own memory, never shared with another
 * party: PSA need not copy every record in and out (two 16 KiB copies per
 * record otherwise). In-place AEAD (same buffer) works for every driver. */
#define MBEDTLS_PSA_ASSUME_EXCLUSIVE_BUFFERS
/* Rampart's PSA transparent drivers (tls/tls_drv.h, wired in by
 * tls/mbedtls-drivers.patch): intel-ipsec-mb AEAD, nettle P-256, libsodium
 * X25519. Without the CPU features they need, the built-in code runs. */
#define RAMPART_PSA_DRIVERS
#define PSA_CRYPTO_ACCELERATOR_DRIVER_PRESENT

/* ---- TLS ------------------------------------------------------------------- */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SRV_C        /* server side only: no client code in the binary */
#define MBEDTLS_SSL_PROTO_TLS1_2 /* TLS 1.2 for older clients (ECDHE + AEAD only) */
#define MBEDTLS_SSL_PROTO_TLS1_3 /* TLS 1.3 */
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE /* middlebox compatibility (RFC 8446 D.4) */
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED     /* full handshakes */
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED /* resumption keeping forward secrecy */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED /* TLS 1.2 with ECDSA certificates */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED   /* TLS 1.2 with RSA certificates */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET /* RFC 7627: binds TLS 1.2 sessions to the handshake */
#define MBEDTLS_SSL_SERVER_NAME_INDICATION /* several certificates on one address */
#define MBEDTLS_SSL_ALPN         /* advertise http/1.1 */
#define MBEDTLS_SSL_SESSION_TICKETS /* stateless resumption (RFC 5077 / TLS 1.3 tickets) */
#define MBEDTLS_SSL_TICKET_C     /* ticket keys with rotation */
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH /* shrink record buffers after the handshake */
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH    /* honour clients asking for small records */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE  /* required by mbedTLS 3.6's TLS 1.3 code; costs nothing without client certs */
/* Not defined, on purpose: MBEDTLS_SSL_RENEGOTIATION (DoS vector, not needed),
 * MBEDTLS_SSL_PROTO_DTLS, MBEDTLS_SSL_ENCRYPT_THEN_MAC and MBEDTLS_CIPHER_MODE_CBC
 * (no CBC suites), MBEDTLS_KEY_EXCHANGE_RSA_ENABLED (no forward secrecy),
 * MBEDTLS_SSL_CLI_C, MBEDTLS_NET_C (Rampart owns its sockets), MBEDTLS_DEBUG_C. */

/* Record buffers: the input buffer must take a full 16 KiB record from any
 * client; the output buffer bounds the size of records we send. */
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 16384

#endif /* RAMPART_MBEDTLS_CONFIG_H */
