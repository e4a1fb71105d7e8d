build-nowrap/obj/tls/tls_conn.o: tls/tls_conn.c tls/tls_internal.h \
 tls/tls_mbedtls.h tls/tls.h tls/tls_config.h common/log.h
tls/tls_internal.h:
tls/tls_mbedtls.h:
tls/tls.h:
tls/tls_config.h:
common/log.h:
