/* fuzz-cfg - the configuration loader over any bytes: cfg_load() reads
 * them from a memfd as if from a file, reports what is wrong and frees
 * everything, whatever the input. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "supervisor/config/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FILE *null;
        char path[64];
        cfg *c = NULL;
        int fd;

        if (!null)
                null = fopen("/dev/null", "w");
        fd = memfd_create("fuzz-cfg", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) == (ssize_t) size) {
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                if (cfg_load(path, null, &c) >= 0)
                        cfg_free(c);
        }
        close(fd);
        return 0;
}
