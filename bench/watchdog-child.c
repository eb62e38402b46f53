/* watchdog-child - the petting program of bench/probe: READY=1, then
 * WATCHDOG=1 on $NOTIFY_SOCKET every half of $WATCHDOG_USEC (as
 * sd_watchdog_enabled(3) advises), until a signal ends it.  SIGSTOP is how
 * the benchmark makes it hang. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
        const char *path = getenv("NOTIFY_SOCKET"), *w = getenv("WATCHDOG_USEC");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len;
        long long usec = w ? atoll(w) : 0;
        int fd, tfd;
        uint64_t ticks;

        if (!path || !*path || strlen(path) >= sizeof(sa.sun_path) || usec <= 0)
                return 2;
        memcpy(sa.sun_path, path, strlen(path));
        if (sa.sun_path[0] == '@')
                sa.sun_path[0] = '\0';
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
        if (fd < 0 || tfd < 0)
                return 2;
        (void) sendto(fd, "READY=1", 7, 0, (struct sockaddr *) &sa, len);
        {
                long long half = usec / 2;
                struct itimerspec it = {
                        .it_interval = { .tv_sec = half / 1000000, .tv_nsec = (half % 1000000) * 1000 },
                        .it_value = { .tv_sec = half / 1000000, .tv_nsec = (half % 1000000) * 1000 },
                };
                if (timerfd_settime(tfd, 0, &it, NULL) < 0)
                        return 2;
        }
        for (;;)
                if (read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
                        (void) sendto(fd, "WATCHDOG=1", 10, 0, (struct sockaddr *) &sa, len);
}
