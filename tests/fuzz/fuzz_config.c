/* libFuzzer target: any bytes as rampart.ini must give a config or errors,
 * never a crash. Run: make fuzz && build-fuzz/fuzz/fuzz_config -max_total_time=60 */
#include "gateway/config/config.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("rampart.ini", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        struct config_errors errors;
        config_free(config_load(path, &errors));
    }
    close(fd);
    return 0;
}
