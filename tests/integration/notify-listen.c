/* notify-listen - stands in for systemd's side of sd_notify(3) in tests:
 * binds a datagram socket at PATH, prints every message it gets, and exits
 * 0 once one holds READY=1, or 1 after TIMEOUT seconds. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timespec start, now;
        int fd, timeout_ms;

        if (argc != 3) {
                fprintf(stderr, "usage: notify-listen PATH TIMEOUT\n");
                return 2;
        }
        timeout_ms = atoi(argv[2]) * 1000;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
        unlink(argv[1]);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                perror("notify-listen");
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                char buf[4096];
                ssize_t n;
                int left;

                clock_gettime(CLOCK_MONOTONIC, &now);
                left = timeout_ms - (int) ((now.tv_sec - start.tv_sec) * 1000 +
                                           (now.tv_nsec - start.tv_nsec) / 1000000);
                if (left <= 0 || poll(&p, 1, left) <= 0)
                        return 1;
                n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        return 2;
                buf[n] = '\0';
                printf("%s\n", buf);
                for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
                        if (strcmp(l, "READY=1") == 0)
                                return 0;
        }
}
