build-nowrap/obj/tls/tls_cert_info.o: tls/tls_cert_info.c \
 tls/tls_internal.h tls/tls_mbedtls.h tls/tls.h tls/tls_config.h
tls/tls_internal.h:
tls/tls_mbedtls.h:
tls/tls.h:
tls/tls_config.h:
