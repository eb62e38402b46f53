/* flaky - a demo service that crashes now and then.  Each second it rolls
 * a die; with probability 1/N (default 5) it dies: half the time by
 * abort(), half with exit status 3.  Shows restarts and backoff. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
        const char *group = getenv("AIRSUP_GROUP"), *inc = getenv("AIRSUP_INCARNATION");
        int odds = argc > 1 ? atoi(argv[1]) : 5;

        if (odds < 1)
                odds = 1;
        setvbuf(stdout, NULL, _IOLBF, 0);
        srand((unsigned) time(NULL) ^ (unsigned) getpid());
        printf("%s: up (pid %d, incarnation %s), will crash with odds 1/%d per second\n",
               group ? group : "flaky", (int) getpid(), inc ? inc : "?", odds);
        for (;;) {
                sleep(1);
                if (rand() % odds == 0) {
                        if (rand() % 2) {
                                printf("%s: crashing with abort()\n", group ? group : "flaky");
                                abort();
                        }
                        printf("%s: exiting with status 3\n", group ? group : "flaky");
                        exit(3);
                }
        }
}
