/* fuzz-notify - the sd_notify datagram parser over any bytes: it must
 * accept or refuse, never read outside the datagram, and leave STATUS=
 * printable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/watch/notify-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        notify_msg m;
        char *copy;

        /* An exact-size heap copy, so that any read past the end is seen. */
        copy = malloc(size ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        if (notify_parse(copy, size, &m) == 0) {
                for (const char *c = m.status; *c; c++)
                        if ((unsigned char) *c < ' ' || (unsigned char) *c >= 0x7f || *c == '"')
                                abort();
                if (m.extend_usec > NOTIFY_EXTEND_MAX_USEC || m.main_pid < 0)
                        abort();
        }
        free(copy);
        return 0;
}
