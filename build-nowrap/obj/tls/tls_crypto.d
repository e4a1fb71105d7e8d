build-nowrap/obj/tls/tls_crypto.o: tls/tls_crypto.c \
 tls/tls_drv_internal.h tls/tls_mbedtls.h tls/tls_crypto.h tls/tls_drv.h
tls/tls_drv_internal.h:
tls/tls_mbedtls.h:
tls/tls_crypto.h:
tls/tls_drv.h:
