/* ctl - how long `airsupctl status` takes, as an operator sees it (the
 * whole process: exec, connect, the call, the table), with 1000 idle
 * groups (and `airsupctl request` to a group beside them that answers)
 * and with 1000 groups crash-looping (backoff = 0, the goal's
 * case, then the default backoff), with the processes the machine
 * created per second meanwhile; beside it, in the same run,
 * `supervisorctl status` against supervisord with 1000 programs when
 * supervisord is installed.
 *
 * Usage: ctl [--quick]
 * The last line of output is one JSON object with the headline figures. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"

#define GROUPS 1000

typedef struct figures {
        bool ran;
        const char *note;
        double p50, p99;
        double forks_per_s;             /* the machine's, while measured */
} figures;

/* Processes created on this machine since boot (/proc/stat). */
static long long forks(void) {
        FILE *f = fopen("/proc/stat", "re");
        char line[256];
        long long n = -1;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "processes %lld", &n) == 1)
                        break;
        fclose(f);
        return n;
}

/* Runs ARGV (stdout to /dev/null) and waits; its wall time in ms, or -1
 * when it did not exit 0 or 3 (status's "something is down", which a
 * crash-looping tree always has). */
static double time_run(char *const argv[]) {
        int64_t t0 = bench_mono_ns();
        pid_t pid = bench_spawn(argv, NULL, NULL, -1);
        int st;

        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
            (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 3))
                return -1;
        return (double) (bench_mono_ns() - t0) / 1e6;
}

static void measure(char *const argv[], size_t n, figures *f) {
        double *ms = calloc(n, sizeof(double));
        long long forks0 = forks();
        int64_t t0 = bench_mono_ns();
        size_t k = 0;

        if (!ms)
                bench_die("calloc");
        for (size_t i = 0; i < n; i++) {
                double t = time_run(argv);
                if (t >= 0)
                        ms[k++] = t;
        }
        /* Less the calls' own airsupctl processes. */
        f->forks_per_s = (double) (forks() - forks0 - (long long) n) / ((double) (bench_mono_ns() - t0) / 1e9);
        if (k > 0) {
                qsort(ms, k, sizeof(double), bench_cmp_double);
                f->p50 = ms[k / 2];
                f->p99 = ms[(k * 99) / 100 < k ? (k * 99) / 100 : k - 1];
                f->ran = true;
        } else
                f->note = "every call failed";
        free(ms);
}

/* Whether ARGV exits 0 (airsupctl status: every group up). */
static bool run_ok(char *const argv[]) {
        pid_t pid = bench_spawn(argv, NULL, NULL, -1);
        int st;

        return pid >= 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Polls ARGV until it exits 0 (airsupd answering) or SECONDS pass. */
static bool wait_ok(char *const argv[], double seconds) {
        int64_t end = bench_mono_ns() + (int64_t) (seconds * 1e9);

        while (bench_mono_ns() < end) {
                if (time_run(argv) >= 0)
                        return true;
                bench_nap_ms(50);
        }
        return false;
}

/* A tree of 1000 groups running COMMAND, with BACKOFF (NULL: the
 * default, 100 ms doubling to 30 s), and N calls of airsupctl status;
 * with REQ, a group "rep" beside them (bench/patterns' replier) and N
 * calls of airsupctl request to it; with EXEC_FLOOR, N calls of airsupctl
 * --version meanwhile, which does not reach airsupd: what exec and exit
 * of the same program cost on the machine as the tree leaves it. */
static void run_airsupd(const char *command, const char *backoff, size_t n, figures *f, figures *req,
                        figures *exec_floor) {
        char conf[PATH_MAX + 32], sock[PATH_MAX + 32], state[PATH_MAX + 32], air[PATH_MAX + 32],
                ctl[PATH_MAX + 32];
        FILE *c;
        pid_t pid;

        snprintf(conf, sizeof(conf), "%s/ctl.conf", bench_tmpdir);
        snprintf(sock, sizeof(sock), "%s/control", bench_tmpdir);
        snprintf(state, sizeof(state), "%s/state", bench_tmpdir);
        c = fopen(conf, "we");
        if (!c)
                bench_die(conf);
        fprintf(c, "[airsupd]\nstate_dir = %s\n[supervisor:root]\nintensity = 1000000\nperiod = 1s\n", state);
        for (size_t g = 0; g < GROUPS; g++) {
                if (g % 10 == 0)
                        fprintf(c, "[supervisor:s%zu]\nintensity = 1000000\nperiod = 1s\n", g / 10);
                fprintf(c, "[group:g%zu]\nparent = s%zu\ncommand = %s\n", g, g / 10, command);
                if (backoff)
                        fprintf(c, "backoff = %s\n", backoff);
        }
        if (req)
                fprintf(c, "[group:rep]\ncommand = %s/patterns --role rep\nready = notify\n", bench_bindir);
        fclose(c);
        snprintf(air, sizeof(air), "%s/airsupd", bench_builddir);
        snprintf(ctl, sizeof(ctl), "%s/airsupctl", bench_builddir);
        char *argv[] = { air, "-c", conf, "--control", sock, "--log=stderr", NULL };
        char *status[] = { ctl, "-s", sock, "status", NULL };
        char *request[] = { ctl, "-s", sock, "request", "rep", "ping", "--type", "1", "--timeout", "5", NULL };
        char *version[] = { ctl, "--version", NULL };
        pid = bench_spawn_session(argv, NULL, NULL, -1);
        if (pid < 0)
                bench_die(air);
        if (!wait_ok(status, 60)) {
                f->note = "airsupd did not answer within 60 s";
                bench_stop(pid, 10);
                return;
        }
        /* An idle tree is measured once every group is up (a tree still
         * starting is another row's case), then settled. */
        for (int64_t end = bench_mono_ns() + 120 * (int64_t) 1000000000; req && bench_mono_ns() < end;)
                if (run_ok(status))
                        break;
                else
                        bench_nap_ms(200);
        bench_nap_ms(2000);             /* the tree up (or crash-looping) for a while */
        measure(status, n, f);
        if (exec_floor)
                measure(version, n, exec_floor);
        if (req) {
                if (wait_ok(request, 30))
                        measure(request, n, req);
                else
                        req->note = "rep did not answer within 30 s";
        }
        bench_stop(pid, 30);
}

static void run_supervisord(size_t n, figures *f) {
        char conf[PATH_MAX + 32], sock[PATH_MAX + 64];
        FILE *c;
        pid_t pid;

        if (access("/usr/bin/supervisord", X_OK) < 0 || access("/usr/bin/supervisorctl", X_OK) < 0) {
                f->note = "not installed";
                return;
        }
        snprintf(conf, sizeof(conf), "%s/supervisord.conf", bench_tmpdir);
        snprintf(sock, sizeof(sock), "%s/supervisor.sock", bench_tmpdir);
        c = fopen(conf, "we");
        if (!c)
                bench_die(conf);
        fprintf(c, "[unix_http_server]\nfile=%s\n[supervisord]\nnodaemon=true\nlogfile=%s/supervisord.log\n"
                "pidfile=%s/supervisord.pid\nminfds=4096\n[rpcinterface:supervisor]\n"
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
                "[supervisorctl]\nserverurl=unix://%s\n", sock, bench_tmpdir, bench_tmpdir, sock);
        for (size_t g = 0; g < GROUPS; g++)
                fprintf(c, "[program:g%zu]\ncommand=/bin/sleep 100000\nstartsecs=0\nautorestart=true\n"
                        "stdout_logfile=NONE\nstderr_logfile=NONE\n", g);
        fclose(c);
        char *argv[] = { "/usr/bin/supervisord", "-c", conf, NULL };
        char *status[] = { "/usr/bin/supervisorctl", "-c", conf, "pid", NULL };
        char *full[] = { "/usr/bin/supervisorctl", "-c", conf, "status", NULL };
        pid = bench_spawn(argv, NULL, NULL, -1);
        if (pid < 0) {
                f->note = "cannot start";
                return;
        }
        if (!wait_ok(status, 60)) {
                f->note = "supervisord did not answer within 60 s";
                bench_stop(pid, 10);
                return;
        }
        bench_nap_ms(3000);             /* its programs started */
        measure(full, n, f);
        bench_stop(pid, 30);
}

static void row(const char *name, const figures *f) {
        if (!f->ran)
                printf("%-32s %10s %10s  %s\n", name, "-", "-", f->note ? f->note : "");
        else
                printf("%-32s %10.1f %10.1f %10.0f\n", name, f->p50, f->p99, f->forks_per_s);
}

int main(int argc, char **argv) {
        bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
        size_t n = quick ? 20 : 100;
        figures idle = {}, loop = {}, damped = {}, sv = {}, req = {}, loop_floor = {};
        char idle_cmd[PATH_MAX + 32];

        bench_dirs_init("ctl");
        signal(SIGPIPE, SIG_IGN);
        snprintf(idle_cmd, sizeof(idle_cmd), "%s/idle-child", bench_bindir);
        printf("ctl: `airsupctl status` (whole process) with %d groups, %zu calls each%s\n\n", GROUPS, n,
               quick ? " (--quick)" : "");
        run_airsupd(idle_cmd, "0", n, &idle, &req, NULL);
        run_airsupd("/bin/sh -c \"sleep 1; exit 1\"", "0", n, &loop, NULL, &loop_floor);
        run_airsupd("/bin/sh -c \"sleep 1; exit 1\"", NULL, n, &damped, NULL, NULL);
        run_supervisord(n, &sv);

        printf("%-32s %10s %10s %10s\n", "", "p50 ms", "p99 ms", "forks/s");
        row("airsupctl status, idle", &idle);
        row("airsupctl request, idle", &req);
        row("airsupctl status, crash-looping", &loop);
        row("  airsupctl --version, the same", &loop_floor);
        row("  the same, default backoff", &damped);
        row("supervisorctl status, idle", &sv);
        printf("\ngoals: p99 < 100 ms while crash-looping: %s; faster than supervisorctl: %s;\n"
               "       a request's round trip within 1.5x a status call (p50): %s\n",
               loop.ran && loop.p99 < 100 ? "met" : "NOT met",
               !sv.ran ? "not measured" : idle.ran && idle.p50 < sv.p50 ? "met" : "NOT met",
               req.ran && idle.ran && req.p50 <= 1.5 * idle.p50 ? "met" : "NOT met");

        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", bench_tmpdir);
        (void) !system(cmd);
        printf("{\"bench\":\"ctl\"");
        printf(idle.ran ? ",\"status_idle_p50_ms\":%.1f,\"status_idle_p99_ms\":%.1f" :
                          ",\"status_idle_p50_ms\":null,\"status_idle_p99_ms\":null", idle.p50, idle.p99);
        printf(req.ran ? ",\"request_idle_p50_ms\":%.1f,\"request_idle_p99_ms\":%.1f" :
                         ",\"request_idle_p50_ms\":null,\"request_idle_p99_ms\":null", req.p50, req.p99);
        printf(loop.ran ? ",\"status_crashloop_p99_ms\":%.1f" : ",\"status_crashloop_p99_ms\":null", loop.p99);
        printf(loop_floor.ran ? ",\"version_crashloop_p50_ms\":%.1f,\"version_crashloop_p99_ms\":%.1f" :
                                ",\"version_crashloop_p50_ms\":null,\"version_crashloop_p99_ms\":null",
               loop_floor.p50, loop_floor.p99);
        printf(damped.ran ? ",\"status_crashloop_backoff_p99_ms\":%.1f" : ",\"status_crashloop_backoff_p99_ms\":null",
               damped.p99);
        printf(sv.ran ? ",\"supervisorctl_p50_ms\":%.1f}\n" : ",\"supervisorctl_p50_ms\":null}\n", sv.p50);
        return idle.ran && loop.ran ? 0 : 1;
}
