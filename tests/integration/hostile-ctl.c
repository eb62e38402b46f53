/* hostile-ctl - what a local user does to airsupd's control socket and
 * to the directories a non-root airsupd keeps it in, for the integration
 * tests that prove each hole closed (tests/integration/test-hostile-*.sh).
 *
 *   hostile-ctl events-unread SOCKET CLIENTS CALLS PIDFILE
 *                                 CLIENTS connections each send CALLS
 *                                 Events calls for the whole history and
 *                                 read no reply; write PIDFILE, then wait
 *   hostile-ctl fake-server PATH RECORD PIDFILE
 *                                 listen on PATH (mode 0777) as whoever
 *                                 runs it, append every byte any client
 *                                 sends to RECORD; write PIDFILE once
 *                                 listening, then serve until killed
 *   hostile-ctl plant-state DIR CONFIG PID
 *                                 make DIR (0777) and in it the state
 *                                 directory airsupd would use for CONFIG
 *                                 (0777), holding a list of leftovers
 *                                 ("procs", 0666) that names PID with its
 *                                 real start time, as a previous airsupd
 *                                 would have written it */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

static void write_pidfile(const char *pidfile) {
        FILE *f = fopen(pidfile, "w");

        if (!f) {
                perror("hostile-ctl: pidfile");
                exit(1);
        }
        fprintf(f, "%d\n", (int) getpid());
        fclose(f);
}

static int cmd_events_unread(const char *path, long clients, long calls, const char *pidfile) {
        struct rlimit rl = { .rlim_cur = (rlim_t) clients + 64, .rlim_max = (rlim_t) clients + 64 };
        char address[256];

        (void) setrlimit(RLIMIT_NOFILE, &rl);
        snprintf(address, sizeof(address), "unix:path=%s", path);
        for (long k = 0; k < clients; k++) {
                sd_bus *bus = NULL;     /* kept open, never read, until killed */

                if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 || sd_bus_start(bus) < 0) {
                        fprintf(stderr, "hostile-ctl: events-unread: client %ld cannot connect\n", k);
                        return 1;
                }
                for (long i = 0; i < calls; i++) {
                        sd_bus_message *m = NULL;
                        uint64_t cookie;
                        /* max 0 (all), since 0, every priority, every node. */
                        int r = sd_bus_message_new_method_call(bus, &m, NULL, "/org/airsup1",
                                                               "org.airsup1.Manager", "Events");
                        if (r >= 0)
                                r = sd_bus_message_append(m, "utis", 0, (uint64_t) 0, 7, "");
                        /* With a cookie: sd-bus marks a call sent without
                         * one as wanting no reply. */
                        if (r >= 0)
                                r = sd_bus_send(bus, m, &cookie);
                        sd_bus_message_unref(m);
                        if (r < 0) {
                                fprintf(stderr, "hostile-ctl: events-unread: client %ld call %ld: %s\n", k, i,
                                        strerror(-r));
                                return 1;
                        }
                }
                /* Sent, whether airsupd keeps the connection or not. */
                (void) sd_bus_flush(bus);
        }
        write_pidfile(pidfile);
        for (;;)
                pause();
}

static int cmd_fake_server(const char *path, const char *record, const char *pidfile) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int out = open(record, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);

        if (strlen(path) >= sizeof(sa.sun_path) || lfd < 0 || out < 0) {
                perror("hostile-ctl: fake-server");
                return 1;
        }
        strcpy(sa.sun_path, path);
        if (bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(path, 0777) < 0 || listen(lfd, 16) < 0) {
                perror("hostile-ctl: fake-server: listen");
                return 1;
        }
        write_pidfile(pidfile);
        for (;;) {
                char buf[4096];
                ssize_t n;
                int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

                if (fd < 0)
                        continue;
                /* What a victim sends before it gives up (2 s at most). */
                for (;;) {
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        if (poll(&p, 1, 2000) <= 0)
                                break;
                        n = read(fd, buf, sizeof(buf));
                        if (n <= 0 || write(out, buf, (size_t) n) != n)
                                break;
                }
                close(fd);
        }
}

/* airsupd's name for a deployment's state directory (state.c,
 * state_dir_default()): the file's base name up to its first dot, and
 * the FNV-1a hash of its real path. */
static int state_name(const char *config, char *buf, size_t size) {
        char *real = realpath(config, NULL);
        const char *base;
        uint32_t h = 2166136261u;
        size_t len;

        if (!real)
                return -errno;
        for (const char *s = real; *s; s++)
                h = (h ^ (unsigned char) *s) * 16777619u;
        base = strrchr(real, '/');
        base = base ? base + 1 : real;
        len = strcspn(base, ".");
        if (len == 0 || len > 64)
                len = len == 0 ? strlen(base) : 64;
        snprintf(buf, size, "%.*s-%08x", (int) len, base, h);
        free(real);
        return 0;
}

static int cmd_plant_state(const char *dir, const char *config, pid_t pid) {
        char name[128], path[PATH_MAX], stat_path[64], line[1024], boot[64] = "";
        unsigned long long start = 0;
        FILE *f;

        if (state_name(config, name, sizeof(name)) < 0) {
                perror("hostile-ctl: plant-state: config");
                return 1;
        }
        /* The start time, field 22 of /proc/PID/stat (after the comm's ")"). */
        snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", (int) pid);
        f = fopen(stat_path, "re");
        if (!f || !fgets(line, sizeof(line), f)) {
                perror("hostile-ctl: plant-state: stat");
                return 1;
        }
        fclose(f);
        {
                char *p = strrchr(line, ')');
                if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                                 &start) != 1) {
                        fprintf(stderr, "hostile-ctl: plant-state: cannot parse %s\n", stat_path);
                        return 1;
                }
        }
        f = fopen("/proc/sys/kernel/random/boot_id", "re");
        if (!f || !fgets(boot, sizeof(boot), f)) {
                perror("hostile-ctl: plant-state: boot_id");
                return 1;
        }
        fclose(f);
        boot[strcspn(boot, "\n")] = '\0';
        umask(0);
        if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
                perror("hostile-ctl: plant-state: mkdir");
                return 1;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (mkdir(path, 0777) < 0 && errno != EEXIST) {
                perror("hostile-ctl: plant-state: mkdir");
                return 1;
        }
        snprintf(path, sizeof(path), "%s/%s/procs", dir, name);
        f = fopen(path, "we");
        if (!f) {
                perror("hostile-ctl: plant-state: procs");
                return 1;
        }
        fprintf(f, "boot %s\n+ %d %llu victim\n", boot, (int) pid, start);
        fclose(f);
        (void) chmod(path, 0666);
        printf("%s/%s\n", dir, name);
        return 0;
}

int main(int argc, char **argv) {
        signal(SIGPIPE, SIG_IGN);
        if (argc == 6 && strcmp(argv[1], "events-unread") == 0)
                return cmd_events_unread(argv[2], atol(argv[3]), atol(argv[4]), argv[5]);
        if (argc == 5 && strcmp(argv[1], "fake-server") == 0)
                return cmd_fake_server(argv[2], argv[3], argv[4]);
        if (argc == 5 && strcmp(argv[1], "plant-state") == 0)
                return cmd_plant_state(argv[2], argv[3], (pid_t) atoi(argv[4]));
        fprintf(stderr, "usage: see the comment at the top of hostile-ctl.c\n");
        return 2;
}
