/* ticker - a well-behaved long-running demo service.  Prints a line every
 * interval (default 2 s) with its group, instance and incarnation, and
 * exits 0 on SIGTERM after saying goodbye. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) {
        (void) sig;
        stop = 1;
}

int main(int argc, char **argv) {
        const char *group = getenv("AIRSUP_GROUP"), *inc = getenv("AIRSUP_INCARNATION");
        double interval = argc > 1 ? atof(argv[1]) : 2.0;
        struct timespec ts = { .tv_sec = (time_t) interval,
                               .tv_nsec = (long) ((interval - (double) (time_t) interval) * 1e9) };
        struct sigaction sa = { .sa_handler = on_term };
        unsigned long n = 0;

        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("%s: up (pid %d, incarnation %s)\n", group ? group : "ticker", (int) getpid(), inc ? inc : "?");
        while (!stop) {
                nanosleep(&ts, NULL);
                if (!stop)
                        printf("%s: tick %lu\n", group ? group : "ticker", ++n);
        }
        printf("%s: stopping cleanly\n", group ? group : "ticker");
        return 0;
}
