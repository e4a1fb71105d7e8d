build-nowrap/obj/tls/tls_drv_p256.o: tls/tls_drv_p256.c \
 tls/tls_drv_internal.h tls/tls_mbedtls.h tls/tls_crypto.h tls/tls_drv.h
tls/tls_drv_internal.h:
tls/tls_mbedtls.h:
tls/tls_crypto.h:
tls/tls_drv.h:
