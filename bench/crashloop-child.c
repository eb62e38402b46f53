/* crashloop-child FILE - the child of the restart benchmark.  Appends
 * "S <ns>" when it starts and "E <ns>" just before it exits 1, both from
 * CLOCK_MONOTONIC, so every supervisor is measured by the same clock from
 * inside the process: crash -> next start is E(n) -> S(n+1). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void stamp(int fd, char what) {
        struct timespec ts;
        char line[64];
        int n;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        n = snprintf(line, sizeof(line), "%c %lld\n", what,
                     (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
        (void) !write(fd, line, (size_t) n);
}

int main(int argc, char **argv) {
        int fd;

        if (argc < 2)
                return 2;
        fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return 2;
        stamp(fd, 'S');
        stamp(fd, 'E');
        _exit(1);
}
