/* msgdemo - the groups of config/demo.conf's message half (libairsup):
 *
 *   msgdemo producer WORKERS RATE   numbered messages, RATE a second, to
 *                                   WORKERS[0..], in turn
 *   msgdemo worker                  forwards each to the sink; now and then
 *                                   crashes in the middle of one (it comes
 *                                   again, flagged), and always on every
 *                                   1000th (a poison message: after
 *                                   redeliver = tries airsupd sets it aside
 *                                   as a dead letter)
 *   msgdemo sink                    counts what arrives and says, every
 *                                   second, how much and whether anything
 *                                   is missing */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child/airsup.h"

#define MAX_SEQ 10000000

static airsup *attach(void) {
        airsup *a;
        int r = airsup_attach(&a);

        if (r < 0) {
                fprintf(stderr, "msgdemo: not started by airsupd (%s)\n", strerror(-r));
                exit(2);
        }
        return a;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

_Noreturn static void producer(unsigned n_workers, unsigned rate) {
        airsup *a = attach();
        airsup_dest *w[16];
        char name[64];

        if (n_workers == 0 || n_workers > 16 || rate == 0)
                exit(2);
        for (unsigned i = 0; i < n_workers; i++) {
                snprintf(name, sizeof(name), "worker[%u]", i);
                if (airsup_lookup(a, name, 5000000000u, &w[i]) < 0)
                        exit(2);
        }
        for (uint64_t seq = 1;; seq++) {
                struct timespec ts = { 0, 1000000000L / rate };
                if (airsup_send(w[seq % n_workers], 1, &seq, sizeof(seq), NULL) < 0)
                        exit(2);
                nanosleep(&ts, NULL);
        }
}

_Noreturn static void worker(void) {
        airsup *a = attach();
        airsup_dest *sink;
        airsup_msg m;
        uint64_t seq;

        if (airsup_lookup(a, "sink", 5000000000u, &sink) < 0)
                exit(2);
        (void) airsup_ready(a);
        srand((unsigned) getpid());
        for (;;) {
                if (airsup_recv(a, &m, &seq, sizeof(seq), UINT64_MAX) != sizeof(seq))
                        continue;
                if (seq % 1000 == 0 || rand() % 700 == 0) {
                        fprintf(stderr, "crashing in the middle of message %llu (delivery %u)\n",
                                (unsigned long long) seq, m.redelivered + 1);
                        raise(SIGSEGV);
                }
                if (airsup_send(sink, 2, &seq, sizeof(seq), NULL) < 0)
                        exit(2);
                (void) airsup_commit(a, &m);
        }
}

_Noreturn static void sink(void) {
        airsup *a = attach();
        static uint8_t seen[MAX_SEQ / 8];
        uint64_t count = 0, dups = 0, max = 0, last = now_ms();

        (void) airsup_ready(a);
        for (;;) {
                airsup_msg m;
                uint64_t seq;
                int r = airsup_recv(a, &m, &seq, sizeof(seq), 1000000000u);

                if (r == sizeof(seq) && seq < MAX_SEQ) {
                        if (seen[seq / 8] & (1u << (seq % 8)))
                                dups++;
                        else {
                                seen[seq / 8] |= (uint8_t) (1u << (seq % 8));
                                count++;
                        }
                        if (seq > max)
                                max = seq;
                        (void) airsup_commit(a, &m);
                }
                if (now_ms() - last >= 1000) {
                        /* Every number up to max arrived, but for the
                         * poison ones (every 1000th, dead letters). */
                        uint64_t missing = 0;
                        for (uint64_t s = 1; s + 50 <= max; s++)
                                if (!(seen[s / 8] & (1u << (s % 8))) && s % 1000 != 0)
                                        missing++;
                        printf("received %llu (up to %llu), %llu twice, %llu lost\n", (unsigned long long) count,
                               (unsigned long long) max, (unsigned long long) dups, (unsigned long long) missing);
                        fflush(stdout);
                        last = now_ms();
                }
        }
}

int main(int argc, char **argv) {
        if (argc == 4 && strcmp(argv[1], "producer") == 0)
                producer((unsigned) atoi(argv[2]), (unsigned) atoi(argv[3]));
        if (argc == 2 && strcmp(argv[1], "worker") == 0)
                worker();
        if (argc == 2 && strcmp(argv[1], "sink") == 0)
                sink();
        fprintf(stderr, "usage: msgdemo producer WORKERS RATE | worker | sink\n");
        return 2;
}
