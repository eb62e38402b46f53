/* soak - messages flowing between two groups under airsupd while the
 * receiver, and in turn the sender, are SIGKILLed at random moments:
 * afterwards every message sent was received (a second delivery flagged
 * as a redelivery) or set aside as a dead letter, none lost, none
 * corrupted.
 *
 * Usage: soak [--quick] [--kills N]   (default 10000; --quick 500)
 * The last line of output is one JSON object with the figures. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "child/airsup.h"

#define SEQ_MAX (UINT64_C(1) << 26)    /* numbers the sink can keep track of */

static size_t payload_len(uint64_t seq) {
        return 8 + seq % 56;
}

static void payload_fill(uint64_t seq, uint8_t *p) {
        memcpy(p, &seq, 8);
        for (size_t k = 8; k < payload_len(seq); k++)
                p[k] = (uint8_t) (seq * 13 + k);
}

/* The source: numbers from what its predecessor recorded as sent. */
_Noreturn static void role_source(const char *progress) {
        airsup *a;
        airsup_dest *d;
        uint8_t buf[64];
        uint64_t seq = 0;
        int fd;

        if (airsup_attach(&a) < 0 || airsup_lookup(a, "sink", 10000000000ull, &d) < 0)
                _exit(2);
        fd = open(progress, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || (pread(fd, &seq, sizeof(seq), 0) != sizeof(seq) && (seq = 0, false)))
                _exit(2);
        for (;; seq++) {
                payload_fill(seq, buf);
                if (airsup_send(d, 1, buf, payload_len(seq), NULL) < 0)
                        _exit(2);
                /* Recorded after the send: a kill in between sends it again. */
                uint64_t next = seq + 1;
                if (pwrite(fd, &next, sizeof(next), 0) != sizeof(next))
                        _exit(2);
                /* About 100,000 a second: the point is the kills, and the
                 * sink's record of a long run stays small. */
                if (seq % 100 == 99) {
                        struct timespec ts = { 0, 1000000 };
                        (void) nanosleep(&ts, NULL);
                }
        }
}

/* The sink: one record per delivery, written before the commit. */
_Noreturn static void role_sink(const char *log) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        airsup *a;

        if (fd < 0 || airsup_attach(&a) < 0)
                _exit(2);
        (void) airsup_ready(a);
        for (;;) {
                uint8_t buf[64];
                airsup_msg m;
                uint64_t rec[2], seq = 0;
                int r = airsup_recv(a, &m, buf, sizeof(buf), UINT64_MAX);
                bool ok;

                if (r < 0)
                        continue;
                ok = r >= 8;
                if (ok) {
                        memcpy(&seq, buf, 8);
                        ok = (size_t) r == payload_len(seq);
                        for (size_t k = 8; ok && k < (size_t) r; k++)
                                ok = buf[k] == (uint8_t) (seq * 13 + k);
                }
                rec[0] = ok ? seq : UINT64_MAX;         /* UINT64_MAX: corrupt */
                rec[1] = m.redelivered;
                if (write(fd, rec, sizeof(rec)) != sizeof(rec))
                        _exit(2);
                (void) airsup_commit(a, &m);
        }
}

/* The main pid of GROUP from airsupd's status, through airsupctl. */
static pid_t group_pid(const char *ctl, const char *sock, const char *group) {
        char cmd[3 * PATH_MAX];
        FILE *p;
        long pid = 0;

        snprintf(cmd, sizeof(cmd), "%s -s %s --json status %s 2>/dev/null | "
                 "sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p' | head -n 1", ctl, sock, group);
        p = popen(cmd, "re");
        if (!p)
                return 0;
        if (fscanf(p, "%ld", &pid) != 1)
                pid = 0;
        pclose(p);
        return (pid_t) pid;
}

int main(int argc, char **argv) {
        long kills = 10000;
        bool quick = false;
        char conf[PATH_MAX + 32], air[PATH_MAX + 32], ctl[PATH_MAX + 32], sock[PATH_MAX + 32], log[PATH_MAX + 32],
             progress[PATH_MAX + 32], self[PATH_MAX], text[8 * PATH_MAX];
        uint64_t sent = 0, received = 0, redelivered = 0, corrupt = 0, lost = 0, deliveries = 0, dead = 0, below = 0;
        uint8_t *seen;
        struct stat st;
        long done = 0;
        FILE *f;
        pid_t pid;
        ssize_t l;

        if (argc >= 3 && strcmp(argv[1], "--role") == 0) {
                if (strcmp(argv[2], "source") == 0 && argc == 4)
                        role_source(argv[3]);
                if (strcmp(argv[2], "sink") == 0 && argc == 4)
                        role_sink(argv[3]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0) {
                        quick = true;
                        kills = 500;
                } else if (strcmp(argv[i], "--kills") == 0 && i + 1 < argc)
                        kills = atol(argv[++i]);
                else {
                        fprintf(stderr, "usage: soak [--quick] [--kills N]\n");
                        return 2;
                }
        }
        if (kills <= 0 || kills > 1000000) {
                fprintf(stderr, "soak: --kills must be 1..1000000\n");
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        bench_dirs_init("soak");
        l = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (l <= 0)
                bench_die("readlink");
        self[l] = '\0';
        snprintf(conf, sizeof(conf), "%s/soak.conf", bench_tmpdir);
        snprintf(sock, sizeof(sock), "%s/control", bench_tmpdir);
        snprintf(log, sizeof(log), "%s/sink.log", bench_tmpdir);
        snprintf(progress, sizeof(progress), "%s/progress", bench_tmpdir);
        snprintf(air, sizeof(air), "%s/airsupd", bench_builddir);
        snprintf(ctl, sizeof(ctl), "%s/airsupctl", bench_builddir);
        snprintf(text, sizeof(text),
                 "[supervisor:root]\nintensity = 1000000\nperiod = 1s\n"
                 "[group:sink]\ncommand = %s --role sink %s\nready = notify\nbackoff = 0\nredeliver = 3\n"
                 "[group:source]\ncommand = %s --role source %s\nbackoff = 0\n",
                 self, log, self, progress);
        f = fopen(conf, "we");
        if (!f)
                bench_die(conf);
        fputs(text, f);
        fclose(f);
        printf("soak: %ld SIGKILLs, the sink three times in four and the source once, while messages flow%s\n",
               kills, quick ? " (--quick)" : "");
        char *av[] = { air, "-c", conf, "--control", sock, NULL };
        pid = bench_spawn(av, NULL, NULL, -1);
        if (pid < 0)
                bench_die(air);
        srand(4242);
        for (long i = 0; i < kills; i++) {
                const char *victim = i % 4 == 3 ? "source" : "sink";
                pid_t v = 0;
                int64_t end = bench_mono_ns() + 10 * 1000000000LL;

                /* The victim's current process, once it runs; then a random
                 * moment within the next 2 ms. */
                while (bench_mono_ns() < end && (v = group_pid(ctl, sock, victim)) <= 0)
                        bench_nap_ms(1);
                if (v <= 0)
                        break;
                bench_nap_ms(rand() % 3);
                if (kill(v, SIGKILL) == 0)
                        done++;
                /* Until airsupd has started a new one. */
                while (bench_mono_ns() < end && group_pid(ctl, sock, victim) == v)
                        bench_nap_ms(1);
                if (i % 500 == 499)
                        fprintf(stderr, "  %ld kills\n", i + 1);
        }
        /* Let the stream drain: stop the source, wait until the sink has
         * all that was recorded as sent. */
        {
                char cmd[3 * PATH_MAX];
                snprintf(cmd, sizeof(cmd), "%s -s %s stop source >/dev/null 2>&1", ctl, sock);
                (void) !system(cmd);
        }
        {
                int fd = open(progress, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        if (pread(fd, &sent, sizeof(sent), 0) != sizeof(sent))
                                sent = 0;
                        close(fd);
                }
        }
        seen = calloc(SEQ_MAX / 8, 1);
        if (!seen || sent >= SEQ_MAX)
                bench_die("soak: too many messages to check");
        for (int64_t end = bench_mono_ns() + 60 * 1000000000LL; bench_mono_ns() < end;) {
                FILE *in = fopen(log, "re");
                uint64_t rec[2];

                memset(seen, 0, SEQ_MAX / 8);
                received = redelivered = corrupt = deliveries = 0;
                while (in && fread(rec, sizeof(rec), 1, in) == 1) {
                        deliveries++;
                        if (rec[0] == UINT64_MAX || rec[0] >= SEQ_MAX) {
                                corrupt++;
                                continue;
                        }
                        if (rec[1] > 0)
                                redelivered++;
                        if (!(seen[rec[0] / 8] & (1u << (rec[0] % 8)))) {
                                seen[rec[0] / 8] |= (uint8_t) (1u << (rec[0] % 8));
                                received++;
                        }
                }
                if (in)
                        fclose(in);
                {
                        char cmd[3 * PATH_MAX];
                        FILE *p;
                        snprintf(cmd, sizeof(cmd), "%s -s %s --json dead-letters 2>/dev/null | grep -c '\"from\"'", ctl,
                                 sock);
                        p = popen(cmd, "re");
                        dead = 0;
                        if (p) {
                                unsigned long d;
                                if (fscanf(p, "%lu", &d) == 1)
                                        dead = d;
                                pclose(p);
                        }
                }
                below = 0;
                for (uint64_t q = 0; q < sent; q++)
                        below += !!(seen[q / 8] & (1u << (q % 8)));
                if (below + dead >= sent)
                        break;
                bench_nap_ms(200);
        }
        /* Every number the source recorded as sent (one it sent and did
         * not record is sent again by its successor) arrived, or is a
         * dead letter. */
        lost = sent > below + dead ? sent - below - dead : 0;
        bench_stop(pid, 20);
        (void) stat(log, &st);
        printf("\nkills %ld, sent %llu, received %llu (%llu deliveries, %llu redelivered), dead letters %llu, "
               "lost %llu, corrupt %llu\n", done, (unsigned long long) sent, (unsigned long long) received,
               (unsigned long long) deliveries, (unsigned long long) redelivered, (unsigned long long) dead,
               (unsigned long long) lost, (unsigned long long) corrupt);
        printf("goal: lost = 0 and corrupt = 0: %s\n", lost == 0 && corrupt == 0 && sent > 0 ? "met" : "NOT met");
        printf("{\"bench\":\"soak\",\"kills\":%ld,\"sent\":%llu,\"received\":%llu,\"redelivered\":%llu,"
               "\"dead_letters\":%llu,\"lost\":%llu,\"corrupt\":%llu}\n", done, (unsigned long long) sent,
               (unsigned long long) received, (unsigned long long) redelivered, (unsigned long long) dead,
               (unsigned long long) lost, (unsigned long long) corrupt);
        {
                char cmd[PATH_MAX + 16];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", bench_tmpdir);
                (void) !system(cmd);
        }
        free(seen);
        return lost == 0 && corrupt == 0 && sent > 0 ? 0 : 1;
}
