/* errout.h - airsupd's standard error, written without waiting (errout.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* Writes IOV whole or not at all as far as a reader that is slow can
 * tell: never waits.  Returns whether all of it went. */
bool errout_writev(const struct iovec *iov, int n);
/* One line (LINE without its newline): dropped while stderr is full; the
 * first one that goes after a loss is preceded by a line that says how
 * many were dropped. */
void errout_line(const char *line);
