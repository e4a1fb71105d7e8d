/*
 * tls/: the only part of Rampart that includes mbedTLS headers.
 */
#ifndef RAMPART_TLS_TLS_H
#define RAMPART_TLS_TLS_H

/* "mbedTLS 3.6.6": the version of the library linked in (run time). */
const char *tls_library_version(void);

#endif /* RAMPART_TLS_TLS_H */
