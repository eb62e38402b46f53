/* restart - crash -> next start latency under airsupd, against the raw
 * fork+exec+pidfd floor and, when installed, runit, s6 and supervisord,
 * all in one run with the same child (bench/crashloop-child), measured
 * from the child's own CLOCK_MONOTONIC stamps.  The floor and airsupd take
 * turns in rounds (4 with --quick, 10 without), so that the ratios of one
 * run compare the same load of a shared machine.
 *
 * Usage: restart [--quick] [--samples N] [--no-peers]
 * (--no-peers: the floor and airsupd only, for iterating on airsupd.)
 * The last line of output is one JSON object with the headline figures. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"

extern char **environ;


typedef struct result {
        const char *name;
        bool ran;
        const char *note;
        size_t n;
        double p50_us, p99_us, mean_us;
        double *lat;                    /* latencies collected so far, in us */
        size_t n_lat, cap_lat;
} result;

/* Counts the "S" lines (starts) in FILE. */
static size_t count_starts(const char *file) {
        FILE *f = fopen(file, "re");
        char line[64];
        size_t n = 0;

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                n += line[0] == 'S';
        fclose(f);
        return n;
}

/* Adds to R the latencies from each "E" (exit) to the following "S"
 * (next start) in FILE, less the first SKIP: the first restarts of a
 * supervisor warm caches up; they are not the steady state. */
static void collect(const char *file, size_t skip, result *r) {
        FILE *f = fopen(file, "re");
        long long last_exit = -1, t;
        size_t seen = 0;
        char what;

        if (!f)
                return;
        while (fscanf(f, " %c %lld", &what, &t) == 2) {
                if (what == 'E')
                        last_exit = t;
                else if (what == 'S' && last_exit >= 0) {
                        double us = (double) (t - last_exit) / 1000.0;

                        last_exit = -1;
                        if (seen++ < skip)
                                continue;
                        if (r->n_lat == r->cap_lat) {
                                r->cap_lat = r->cap_lat ? r->cap_lat * 2 : 1024;
                                r->lat = realloc(r->lat, r->cap_lat * sizeof(double));
                                if (!r->lat)
                                        abort();
                        }
                        r->lat[r->n_lat++] = us;
                }
        }
        fclose(f);
        unlink(file);
}

/* The figures of what R collected. */
static void finish(result *r) {
        size_t n = r->n_lat;
        double sum = 0;

        r->n = n;
        if (n == 0)
                return;
        qsort(r->lat, n, sizeof(double), bench_cmp_double);
        for (size_t i = 0; i < n; i++)
                sum += r->lat[i];
        r->p50_us = r->lat[n / 2];
        r->p99_us = r->lat[(size_t) ((double) (n - 1) * 0.99)];
        r->mean_us = sum / (double) n;
        r->ran = true;
}

/* What a peer's single run gives (no warm-up skipped). */
static void analyse(const char *file, size_t skip, result *r) {
        collect(file, skip, r);
        finish(r);
}

/* Waits until FILE holds WANT starts or SECONDS pass. */
/* Until FILE holds WANT starts, SECONDS pass, or the supervisor PID (if
 * > 0) is gone. */
static void wait_starts(const char *file, size_t want, double seconds, pid_t pid) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);
        struct timespec tick = { .tv_nsec = 5 * 1000000L };

        while (count_starts(file) < want && bench_mono_ns() < end && (pid <= 0 || kill(pid, 0) == 0))
                nanosleep(&tick, NULL);
}

__attribute__((noinline)) static void path_join(char *buf, size_t size, const char *a, const char *b) {
        snprintf(buf, size, "%s/%s", a, b);
}

static void write_file(const char *path, const char *text, mode_t mode) {
        FILE *f = fopen(path, "we");
        if (!f) {
                perror(path);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
        chmod(path, mode);
}

/* One round of the floor: N restarts, the first SKIP not counted.  The
 * bench watches the file as it does airsupd's, so that its own polling
 * weighs on both alike. */
static void run_floor(size_t n, size_t skip, result *r) {
        char file[PATH_MAX + 32], child[PATH_MAX + 32], floorp[PATH_MAX + 32], count[32];
        pid_t pid;

        path_join(file, sizeof(file), bench_tmpdir, "floor.ts");
        path_join(child, sizeof(child), bench_bindir, "crashloop-child");
        path_join(floorp, sizeof(floorp), bench_bindir, "floor");
        snprintf(count, sizeof(count), "%zu", n + skip + 1);
        pid = bench_spawn((char *[]) { floorp, child, file, count, NULL }, NULL, NULL, -1);
        if (pid < 0) {
                r->note = "cannot run bench/floor";
                return;
        }
        wait_starts(file, n + skip + 1, 120, pid);
        waitpid(pid, NULL, 0);
        collect(file, skip, r);
}

/* One round of airsupd with CGROUP = off (process groups) or required (a
 * cgroup per instance: the child is cloned into it, its end is
 * cgroup.events): N restarts, the first SKIP not counted.  False when
 * airsupd could not run (R's note says why). */
static bool run_airsupd(size_t n, size_t skip, const char *cgroup, result *r) {
        char file[PATH_MAX + 32], conf[PATH_MAX + 32], airsupd[PATH_MAX + 32], sock[PATH_MAX + 32],
                text[4 * PATH_MAX];
        int status = 0;
        pid_t pid;

        snprintf(text, sizeof(text), "airsupd-%s.ts", cgroup);
        path_join(file, sizeof(file), bench_tmpdir, text);
        path_join(conf, sizeof(conf), bench_tmpdir, "airsup.conf");
        path_join(airsupd, sizeof(airsupd), bench_builddir, "airsupd");
        /* Its own control socket: another airsupd on this machine (the
         * default socket's) must not make this one refuse to start. */
        path_join(sock, sizeof(sock), bench_tmpdir, "control");
        snprintf(text, sizeof(text),
                 "[airsupd]\n"
                 "cgroup = %s\n"
                 "[supervisor:root]\n"
                 "intensity = 1000000\n"
                 "period = 1s\n"
                 "[group:crash]\n"
                 "command = %s/crashloop-child %s\n"
                 "backoff = 0\n"
                 "stdout = null\n",
                 cgroup, bench_bindir, file);
        write_file(conf, text, 0644);
        pid = bench_spawn((char *[]) { airsupd, "-c", conf, "--control", sock, "--log=stderr", NULL }, NULL, NULL, -1);
        if (pid < 0) {
                r->note = "cannot run airsupd";
                return false;
        }
        wait_starts(file, n + skip + 1, 120, pid);
        if (waitpid(pid, &status, WNOHANG) == pid) {
                r->note = WIFEXITED(status) && WEXITSTATUS(status) == 78 ? "no cgroups here" : "airsupd exited";
                unlink(file);
                return false;
        }
        (void) bench_stop(pid, 5);
        collect(file, skip, r);
        return true;
}

static bool installed(const char *path) {
        return access(path, X_OK) == 0;
}

/* Runs a peer supervisor until FILE holds N restarts or SECONDS pass. */
static void measure_peer(char *const argv[], const char *file, size_t n, double seconds, result *r) {
        pid_t pid = bench_spawn(argv, NULL, NULL, -1);

        if (pid < 0) {
                r->note = "failed to start";
                return;
        }
        wait_starts(file, n + 1, seconds, pid);
        (void) bench_stop(pid, 5);
        analyse(file, 0, r);
        if (r->ran && r->n < n)
                r->note = "time-limited sample";
}

/* runit and s6 run ./run in a service directory: the same child, exec'd
 * from a shell script as their users do. */
static void make_service_dir(const char *name, const char *file, char *dir, size_t size) {
        char run[PATH_MAX + 64], text[3 * PATH_MAX];

        path_join(dir, size, bench_tmpdir, name);
        mkdir(dir, 0755);
        path_join(run, sizeof(run), dir, "run");
        snprintf(text, sizeof(text), "#!/bin/sh\nexec %s/crashloop-child %s\n", bench_bindir, file);
        write_file(run, text, 0755);
}

static void run_peer_dir(const char *name, const char *binary, size_t n, double seconds, result *r) {
        char file[PATH_MAX + 32], dir[PATH_MAX + 32], ts[64];

        if (!installed(binary)) {
                r->note = "not installed";
                return;
        }
        snprintf(ts, sizeof(ts), "%s.ts", name);
        path_join(file, sizeof(file), bench_tmpdir, ts);
        make_service_dir(name, file, dir, sizeof(dir));
        measure_peer((char *[]) { (char *) binary, dir, NULL }, file, n, seconds, r);
}

static void run_supervisord(size_t n, double seconds, result *r) {
        char file[PATH_MAX + 32], conf[PATH_MAX + 32], text[6 * PATH_MAX];

        if (!installed("/usr/bin/supervisord")) {
                r->note = "not installed";
                return;
        }
        path_join(file, sizeof(file), bench_tmpdir, "supervisord.ts");
        path_join(conf, sizeof(conf), bench_tmpdir, "supervisord.conf");
        snprintf(text, sizeof(text),
                 "[supervisord]\nnodaemon=true\nlogfile=%s/supervisord.log\npidfile=%s/supervisord.pid\n"
                 "[program:crash]\ncommand=%s/crashloop-child %s\nautorestart=true\nstartsecs=0\n"
                 "startretries=1000000\nstdout_logfile=NONE\nstderr_logfile=NONE\n",
                 bench_tmpdir, bench_tmpdir, bench_bindir, file);
        write_file(conf, text, 0644);
        measure_peer((char *[]) { "/usr/bin/supervisord", "-n", "-c", conf, NULL }, file, n, seconds, r);
}

static void print_row(const result *r, const result *floor_r) {
        if (!r->ran) {
                printf("%-12s %8s %12s %12s %12s %9s  %s\n", r->name, "-", "-", "-", "-", "-",
                       r->note ? r->note : "no samples");
                return;
        }
        printf("%-12s %8zu %12.1f %12.1f %12.1f %8.2fx  %s\n", r->name, r->n, r->p50_us, r->p99_us,
               r->mean_us, floor_r->ran && floor_r->p50_us > 0 ? r->p50_us / floor_r->p50_us : 0.0,
               r->note ? r->note : "");
}

static void json_num(const char *key, const result *r) {
        if (r->ran)
                printf(",\"%s\":%.1f", key, r->p50_us);
        else
                printf(",\"%s\":null", key);
}

int main(int argc, char **argv) {
        bool quick = false, peers = true;
        size_t samples = 0;
        result floor_r = { .name = "floor" }, air = { .name = "airsupd" }, cg = { .name = "airsupd-cg" },
               runit = { .name = "runit" },
               s6 = { .name = "s6" }, sv = { .name = "supervisord" };

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--quick") == 0)
                        quick = true;
                else if (strcmp(argv[i], "--no-peers") == 0)
                        peers = false;
                else if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc)
                        samples = (size_t) atol(argv[++i]);
                else {
                        fprintf(stderr, "usage: restart [--quick] [--samples N] [--no-peers]\n");
                        return 2;
                }
        }
        if (samples == 0)
                samples = quick ? 400 : 4000;

        bench_dirs_init("restart");
        signal(SIGPIPE, SIG_IGN);

        printf("restart latency: crash -> next start, from the child's CLOCK_MONOTONIC (%zu samples%s)\n",
               samples, quick ? ", --quick" : "");
        /* The floor and both airsupd runs take turns, in rounds, each
         * round in the reverse order of the last: the load of a shared
         * machine drifts, and a ratio of runs minutes apart would measure
         * the drift.  Each run skips its first restarts (warm-up). */
        {
                size_t rounds = quick ? 4 : 10, per = (samples + rounds - 1) / rounds,
                       skip = per / 20 > 2 ? per / 20 : 2;
                bool air_ok = true, cg_ok = true;

                for (size_t i = 0; i < rounds; i++)
                        for (size_t k = 0; k < 3; k++)
                                switch (i % 2 ? 2 - k : k) {
                                case 0:
                                        run_floor(per, skip, &floor_r);
                                        break;
                                case 1:
                                        if (air_ok)
                                                air_ok = run_airsupd(per, skip, "off", &air);
                                        break;
                                default:
                                        if (cg_ok)
                                                cg_ok = run_airsupd(per, skip, "required", &cg);
                                        break;
                                }
                finish(&floor_r);
                finish(&air);
                finish(&cg);
        }
        /* runit and s6 hold a service for a second between quick restarts, so
         * they get a time budget rather than a sample count. */
        if (peers) {
                run_peer_dir("runit", "/usr/bin/runsv", quick ? 5 : 20, quick ? 7 : 25, &runit);
                run_peer_dir("s6", "/usr/bin/s6-supervise", quick ? 5 : 20, quick ? 7 : 25, &s6);
                run_supervisord(quick ? 10 : 50, quick ? 8 : 30, &sv);
        } else
                runit.note = s6.note = sv.note = "not run (--no-peers)";

        printf("\n%-12s %8s %12s %12s %12s %9s\n", "supervisor", "samples", "p50 us", "p99 us", "mean us",
               "vs floor");
        print_row(&floor_r, &floor_r);
        print_row(&air, &floor_r);
        print_row(&cg, &floor_r);
        print_row(&runit, &floor_r);
        print_row(&s6, &floor_r);
        print_row(&sv, &floor_r);
        printf("\nairsupd: process groups (cgroup = off); airsupd-cg: a cgroup per instance (cgroup = required)\n");
        printf("goal: airsupd p50 <= 1.5x floor: %s\n",
               air.ran && floor_r.ran && air.p50_us <= 1.5 * floor_r.p50_us ? "met" : "NOT met");
        if (cg.ran && air.ran && air.p50_us > 0)
                printf("goal: airsupd-cg p50 <= 1.3x airsupd: %s (%.2fx)\n",
                       cg.p50_us <= 1.3 * air.p50_us ? "met" : "NOT met", cg.p50_us / air.p50_us);
        else
                printf("goal: airsupd-cg p50 <= 1.3x airsupd: not measured (%s)\n", cg.note ? cg.note : "no samples");

        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", bench_tmpdir);
        (void) !system(cmd);

        printf("{\"bench\":\"restart\"");
        json_num("airsupd_p50_us", &air);
        json_num("floor_p50_us", &floor_r);
        if (air.ran && floor_r.ran && floor_r.p50_us > 0)
                printf(",\"ratio\":%.2f", air.p50_us / floor_r.p50_us);
        else
                printf(",\"ratio\":null");
        json_num("airsupd_cgroup_p50_us", &cg);
        if (cg.ran && air.ran && air.p50_us > 0)
                printf(",\"cgroup_ratio\":%.2f", cg.p50_us / air.p50_us);
        else
                printf(",\"cgroup_ratio\":null");
        json_num("runit_p50_us", &runit);
        json_num("s6_p50_us", &s6);
        json_num("supervisord_p50_us", &sv);
        /* For bench/summary's p99 goal (issue 30: p99 <= 2x the floor's). */
        if (air.ran)
                printf(",\"airsupd_p99_us\":%.1f", air.p99_us);
        else
                printf(",\"airsupd_p99_us\":null");
        if (floor_r.ran)
                printf(",\"floor_p99_us\":%.1f", floor_r.p99_us);
        else
                printf(",\"floor_p99_us\":null");
        printf("}\n");
        return air.ran && floor_r.ran ? 0 : 1;
}
