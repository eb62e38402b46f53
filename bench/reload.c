/* reload - a reload of a big deployment in which one thing changed: 1000
 * groups (bench/idle-child), 10 per supervisor, one group's command
 * changed per round.  Measures the time from `airsupctl reload` to its
 * exit (airsupd replies once the changed group was restarted and is
 * ready) and how many processes were restarted (the children of airsupd
 * that are gone after it: must be 1).  Side by side, in the same run: a
 * reload of an unchanged file (reading and planning, nothing to apply),
 * `airsupctl restart` of one group (the floor of one restart through the
 * control socket), and, when installed, supervisord with the same 1000
 * programs: `supervisorctl update` after one program's command changed,
 * until the changed program runs again.
 *
 * Usage: reload [--quick] [--groups N]
 * The last line of output is one JSON object with the headline figures. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"

extern char **environ;

#define PER_SUPERVISOR 10
#define PIDS_MAX 20000

static char idle[PATH_MAX + 16], ctl[PATH_MAX + 16], conf[PATH_MAX + 16], sock[PATH_MAX + 16];

typedef struct pidset {
        pid_t *p;
        size_t n;
} pidset;

/* Only the supervised children count, not a supervisor's helpers. */
static bool is_idle_child(pid_t pid) {
        char path[64], comm[32] = "";
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/comm", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        if (!fgets(comm, sizeof(comm), f))
                comm[0] = '\0';
        fclose(f);
        return strncmp(comm, "idle-child", 10) == 0;
}

/* The idle-children of PID, from every task's children file. */
static void children_of(pid_t pid, pidset *s) {
        char path[64], buf[65536];
        DIR *d;
        struct dirent *de;

        s->n = 0;
        snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d))) {
                char file[PATH_MAX];
                FILE *f;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(file, sizeof(file), "/proc/%d/task/%s/children", (int) pid, de->d_name);
                f = fopen(file, "re");
                if (!f)
                        continue;
                size_t len = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                buf[len] = '\0';
                for (char *t = strtok(buf, " \n"); t && s->n < PIDS_MAX; t = strtok(NULL, " \n"))
                        if (is_idle_child((pid_t) atoi(t)))
                                s->p[s->n++] = (pid_t) atoi(t);
        }
        closedir(d);
}

static bool has(const pidset *s, pid_t p) {
        for (size_t i = 0; i < s->n; i++)
                if (s->p[i] == p)
                        return true;
        return false;
}

/* Processes of BEFORE gone from AFTER, less the helpers (not idle-children). */
static size_t gone_between(const pidset *before, const pidset *after) {
        size_t k = 0;

        for (size_t i = 0; i < before->n; i++)
                if (!has(after, before->p[i]))
                        k++;
        return k;
}

/* Each group's command carries its version: a round bumps one. */
static unsigned versions[5000], sv_versions[5000];

static void write_airsupd_conf(size_t n, size_t changed, unsigned version) {
        FILE *f = fopen(conf, "we");

        if (changed < n)
                versions[changed] = version;
        if (!f)
                bench_die(conf);
        fprintf(f, "[airsupd]\ncgroup = off\n");
        for (size_t s = 0; s < (n + PER_SUPERVISOR - 1) / PER_SUPERVISOR; s++) {
                fprintf(f, "[supervisor:s%04zu]\n", s);
                for (size_t g = s * PER_SUPERVISOR; g < n && g < (s + 1) * PER_SUPERVISOR; g++)
                        fprintf(f, "[group:g%04zu]\nparent = s%04zu\ncommand = %s g%04zu v%u\n", g, s, idle, g,
                                versions[g]);
        }
        if (fclose(f) != 0)
                bench_die(conf);
}

/* Runs ARGV to its end; its wall time in ms, or -1 if it failed. */
static double run_ms(char *const argv[]) {
        int64_t t0 = bench_mono_ns();
        pid_t pid = bench_spawn(argv, NULL, NULL, -1);
        int status;

        if (pid < 0)
                return -1;
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -1;
        return (double) (bench_mono_ns() - t0) / 1e6;
}

static double median(double *v, size_t n) {
        qsort(v, n, sizeof(double), bench_cmp_double);
        return n ? v[n / 2] : -1;
}

typedef struct result {
        bool ran;
        const char *note;
        double reload_ms, same_ms, restart_ms;
        size_t restarted_max, restarted_min;
} result;

static void run_airsupd(size_t n, size_t rounds, result *r) {
        char air[PATH_MAX + 16], notify[PATH_MAX + 16], env_sock[PATH_MAX + 32], name[32];
        double *reload = calloc(rounds, sizeof(double)), *same = calloc(rounds, sizeof(double)),
               *restart = calloc(rounds, sizeof(double));
        pidset before = { calloc(PIDS_MAX, sizeof(pid_t)), 0 }, after = { calloc(PIDS_MAX, sizeof(pid_t)), 0 };
        size_t ne = 0;
        char **envp;
        pid_t pid;
        int fd;

        if (!reload || !same || !restart || !before.p || !after.p)
                bench_die("calloc");
        write_airsupd_conf(n, SIZE_MAX, 0);
        snprintf(notify, sizeof(notify), "%s/notify.sock", bench_tmpdir);
        fd = bench_notify_socket(notify);
        snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", notify);
        for (char **e = environ; *e; e++)
                ne++;
        envp = calloc(ne + 2, sizeof(char *));
        if (!envp)
                bench_die("calloc");
        memcpy(envp, environ, ne * sizeof(char *));
        envp[ne] = env_sock;
        snprintf(air, sizeof(air), "%s/airsupd", bench_builddir);
        char *argv[] = { air, "-c", conf, "--control", sock, "--log=stderr", NULL };
        pid = bench_spawn(argv, envp, "/dev/null", -1);
        if (pid < 0)
                bench_die(air);
        if (!bench_wait_ready(fd, 60)) {
                r->note = "no READY=1 within 60 s";
                goto out;
        }
        r->restarted_min = SIZE_MAX;
        for (size_t i = 0; i < rounds; i++) {
                char *reload_argv[] = { ctl, "-s", sock, "reload", NULL };
                size_t changed = (i * 97 + 13) % n, k;

                /* One group's command changed: exactly one process goes. */
                write_airsupd_conf(n, changed, (unsigned) i + 1);
                children_of(pid, &before);
                reload[i] = run_ms(reload_argv);
                children_of(pid, &after);
                k = gone_between(&before, &after);
                if (k > r->restarted_max)
                        r->restarted_max = k;
                if (k < r->restarted_min)
                        r->restarted_min = k;
                if (reload[i] < 0) {
                        r->note = "airsupctl reload failed";
                        goto out;
                }
                /* The same file again: read, planned, nothing to do. */
                same[i] = run_ms(reload_argv);
                /* One restart through the control socket, waited for. */
                snprintf(name, sizeof(name), "g%04zu", (changed + 1) % n);
                char *restart_argv[] = { ctl, "-s", sock, "restart", name, NULL };
                restart[i] = run_ms(restart_argv);
        }
        r->reload_ms = median(reload, rounds);
        r->same_ms = median(same, rounds);
        r->restart_ms = median(restart, rounds);
        r->ran = true;
out:
        bench_stop(pid, 30);
        close(fd);
        free(envp);
        free(reload);
        free(same);
        free(restart);
        free(before.p);
        free(after.p);
}

static void write_supervisord_conf(const char *path, size_t n, size_t changed, unsigned version) {
        FILE *f = fopen(path, "we");

        if (changed < n)
                sv_versions[changed] = version;
        if (!f)
                bench_die(path);
        fprintf(f, "[unix_http_server]\nfile=%s/sv.sock\n[supervisord]\nnodaemon=true\nlogfile=%s/sv.log\n"
                "pidfile=%s/sv.pid\nchildlogdir=%s\nminfds=%zu\n"
                "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                "supervisor.rpcinterface:make_main_rpcinterface\n"
                "[supervisorctl]\nserverurl=unix://%s/sv.sock\n",
                bench_tmpdir, bench_tmpdir, bench_tmpdir, bench_tmpdir, 4 * n + 64, bench_tmpdir);
        for (size_t g = 0; g < n; g++)
                fprintf(f, "[program:g%04zu]\ncommand=%s g%04zu v%u\nstartsecs=0\nautorestart=true\n"
                        "stdout_logfile=NONE\nstderr_logfile=NONE\n", g, idle, g, sv_versions[g]);
        if (fclose(f) != 0)
                bench_die(path);
}

/* supervisord, when installed: `supervisorctl update` until the changed
 * program runs again (all N children back, one of them new). */
static void run_supervisord(size_t n, size_t rounds, result *r) {
        char path[PATH_MAX + 32];
        double *reload = calloc(rounds, sizeof(double));
        pidset before = { calloc(PIDS_MAX, sizeof(pid_t)), 0 }, after = { calloc(PIDS_MAX, sizeof(pid_t)), 0 };
        int64_t end;
        pid_t pid;

        if (!reload || !before.p || !after.p)
                bench_die("calloc");
        if (access("/usr/bin/supervisord", X_OK) != 0) {
                r->note = "not installed";
                goto done;
        }
        snprintf(path, sizeof(path), "%s/supervisord.conf", bench_tmpdir);
        write_supervisord_conf(path, n, SIZE_MAX, 0);
        char *argv[] = { "/usr/bin/supervisord", "-c", path, NULL };
        pid = bench_spawn(argv, NULL, "/dev/null", -1);
        if (pid < 0) {
                r->note = "did not start";
                goto done;
        }
        end = bench_mono_ns() + 120 * (int64_t) 1000000000;
        do {
                bench_nap_ms(50);
                children_of(pid, &before);
        } while (before.n < n && bench_mono_ns() < end);
        if (before.n < n) {
                r->note = "not all programs ran within 120 s";
                goto out;
        }
        r->restarted_min = SIZE_MAX;
        for (size_t i = 0; i < rounds; i++) {
                char *update[] = { "/usr/bin/supervisorctl", "-c", path, "update", NULL };
                size_t changed = (i * 97 + 13) % n, k;
                int64_t t0;

                write_supervisord_conf(path, n, changed, (unsigned) i + 1);
                children_of(pid, &before);
                t0 = bench_mono_ns();
                if (run_ms(update) < 0) {
                        r->note = "supervisorctl update failed";
                        goto out;
                }
                /* Until all N run again, one of them new. */
                end = bench_mono_ns() + 30 * (int64_t) 1000000000;
                for (;;) {
                        children_of(pid, &after);
                        if ((after.n >= n && gone_between(&before, &after) > 0) || bench_mono_ns() > end)
                                break;
                        bench_nap_ms(1);
                }
                reload[i] = (double) (bench_mono_ns() - t0) / 1e6;
                k = gone_between(&before, &after);
                if (k > r->restarted_max)
                        r->restarted_max = k;
                if (k < r->restarted_min)
                        r->restarted_min = k;
        }
        r->reload_ms = median(reload, rounds);
        r->ran = true;
out:
        bench_stop(pid, 30);
done:
        free(reload);
        free(before.p);
        free(after.p);
}

int main(int argc, char **argv) {
        bool quick = false;
        size_t n = 1000, rounds;
        result air = {}, sv = {};

        bench_args(argc, argv, "reload", 5000, "", &quick, &n);
        rounds = quick ? 3 : 11;
        bench_dirs_init("reload");
        signal(SIGPIPE, SIG_IGN);
        snprintf(idle, sizeof(idle), "%s/idle-child", bench_bindir);
        snprintf(ctl, sizeof(ctl), "%s/airsupctl", bench_builddir);
        snprintf(conf, sizeof(conf), "%s/reload.conf", bench_tmpdir);
        snprintf(sock, sizeof(sock), "%s/control", bench_tmpdir);

        printf("reload: %zu groups, %d per supervisor, one command changed per round, %zu rounds%s\n", n,
               PER_SUPERVISOR, rounds, quick ? " (--quick)" : "");
        run_airsupd(n, rounds, &air);
        run_supervisord(n, rounds, &sv);

        printf("\n%-34s %10s %10s\n", "", "median ms", "restarted");
        if (air.ran) {
                printf("%-34s %10.1f %10zu\n", "airsupctl reload, one changed", air.reload_ms, air.restarted_max);
                printf("%-34s %10.1f %10s\n", "airsupctl reload, nothing changed", air.same_ms, "0");
                printf("%-34s %10.1f %10s\n", "airsupctl restart of one group", air.restart_ms, "1");
        } else
                printf("%-34s %10s (%s)\n", "airsupd", "-", air.note ? air.note : "did not run");
        if (sv.ran)
                printf("%-34s %10.1f %10zu\n", "supervisorctl update, one changed", sv.reload_ms, sv.restarted_max);
        else
                printf("%-34s %10s (%s)\n", "supervisord", "-", sv.note ? sv.note : "did not run");
        if (air.ran && air.restart_ms > 0)
                printf("\nreload of one change: %.2fx a restart of one group; ", air.reload_ms / air.restart_ms);
        if (air.ran && sv.ran && air.reload_ms > 0)
                printf("supervisord takes %.1fx as long", sv.reload_ms / air.reload_ms);
        printf("\ngoal: exactly 1 process restarted per round: %s (min %zu, max %zu)\n",
               air.ran && air.restarted_max == 1 && air.restarted_min == 1 ? "met" : "NOT met",
               air.ran ? air.restarted_min : 0, air.restarted_max);
        printf("{\"bench\":\"reload\",\"groups\":%zu,\"reload_ms\":%.2f,\"restarted\":%zu,\"unchanged_ms\":%.2f,"
               "\"restart_one_ms\":%.2f,\"supervisord_ms\":%.2f,\"supervisord_restarted\":%zu", n,
               air.ran ? air.reload_ms : -1, air.restarted_max, air.ran ? air.same_ms : -1,
               air.ran ? air.restart_ms : -1, sv.ran ? sv.reload_ms : -1, sv.restarted_max);
        /* "restarted" is the most of any round; the goal (exactly 1 in
         * every round) needs the fewest too, for bench/summary. */
        if (air.ran)
                printf(",\"restarted_min\":%zu}\n", air.restarted_min);
        else
                printf(",\"restarted_min\":null}\n");
        return air.ran ? 0 : 1;
}
