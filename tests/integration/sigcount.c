/* sigcount - counts the stop signals it receives, for test-stop-once.
 *
 *   sigcount FILE    create FILE.ready once its handlers are in place; spin
 *                    (so that a signal is delivered the moment it is sent),
 *                    count SIGTERM and SIGINT, and 200 ms after the first
 *                    write the count to FILE and exit 0.
 *
 * It spins rather than sleeps so that two signals sent back to back are
 * two deliveries, not one pending signal: a supervisor that sends its stop
 * signal twice is caught, where a sleeping child would see it merged. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t count;

static void on_stop(int sig) {
        (void) sig;
        count++;
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
        struct sigaction sa = { .sa_handler = on_stop, .sa_flags = SA_NODEFER | SA_RESTART };
        double first = 0;
        FILE *f;

        if (argc != 2) {
                fprintf(stderr, "usage: sigcount FILE\n");
                return 2;
        }
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
                return 1;
        {
                char ready[4096];
                snprintf(ready, sizeof(ready), "%s.ready", argv[1]);
                f = fopen(ready, "w");
                if (!f || fclose(f) != 0)
                        return 1;
        }
        for (;;) {
                if (count > 0 && first == 0)
                        first = now();
                if (first > 0 && now() - first > 0.2)
                        break;
        }
        f = fopen(argv[1], "w");
        if (!f)
                return 1;
        fprintf(f, "%d\n", (int) count);
        return fclose(f) == 0 ? 0 : 1;
}
