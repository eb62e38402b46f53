/* logs.c - airsupctl logs: the last lines of a group's log: or file:
 * output, read here (airsupd says where it writes), or journalctl's. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <poll.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "common/control-proto.h"
#include "ctl/airsupctl.h"

/* A log file, for reading: the group's user owns its directory and may
 * have put a FIFO (an open would wait for a writer for ever) or a
 * symbolic link to a file only we may read in its place.  Only a regular
 * file is read, and no link is followed at its last step (airsupd
 * refuses one anywhere in the path when it writes). */
static FILE *log_open(const char *path) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;
        FILE *f;

        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fcntl(fd, F_SETFL, 0) < 0 || !(f = fdopen(fd, "r"))) {
                close(fd);
                return NULL;
        }
        return f;
}

/* The last N lines of PATH, read from at most its last 16 MiB. */
static void tail_lines(const char *path, long n) {
        const long window = 16L << 20;
        FILE *f = log_open(path);
        long size, from, len, count = 0, start;
        char *buf;

        if (!f)
                return;
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        from = size > window ? size - window : 0;
        len = size - from;
        buf = malloc((size_t) len + 1);
        if (!buf || fseek(f, from, SEEK_SET) < 0 || fread(buf, 1, (size_t) len, f) != (size_t) len) {
                free(buf);
                fclose(f);
                return;
        }
        fclose(f);
        /* Back from the end: the N-th newline before the last line's end. */
        start = len;
        if (start > 0 && buf[start - 1] == '\n')
                start--;
        while (start > 0 && (buf[start - 1] != '\n' || ++count < n))
                start--;
        if (n == 0)
                start = len;
        fwrite(buf + start, 1, (size_t) (len - start), stdout);
        fflush(stdout);
        free(buf);
}

/* Follows PATH as tail -F does: new lines, and a new file after a
 * rotation (another inode) or a truncation. */
_Noreturn static void follow_file(const char *path) {
        FILE *f = log_open(path);
        struct stat st, now;
        char buf[65536];

        if (f)
                fseek(f, 0, SEEK_END);
        for (;;) {
                while (f && fgets(buf, sizeof(buf), f))
                        fputs(buf, stdout);
                fflush(stdout);
                if (f)
                        clearerr(f);
                (void) poll(NULL, 0, 200);
                if (stat(path, &now) < 0)
                        continue;
                if (!f || fstat(fileno(f), &st) < 0 || st.st_ino != now.st_ino || now.st_size < ftell(f)) {
                        if (f) {
                                while (fgets(buf, sizeof(buf), f))  /* what the old one still had */
                                        fputs(buf, stdout);
                                fclose(f);
                        }
                        f = log_open(path);
                }
        }
}

static int logs_run(sd_bus *bus, const char *name, long n, bool follow) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *proc, *kind, *path, *log_path = NULL, *ident = NULL, *other = NULL;
        size_t count = 0;
        int r;

        r = sd_bus_call_method(bus, NULL, CONTROL_PATH, CONTROL_IFACE, "Outputs", &e, &reply, "s", name);
        if (r < 0) {
                r = call_error(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', CONTROL_OUTPUT_ROW);
        while (r >= 0 && (r = sd_bus_message_read(reply, CONTROL_OUTPUT_ROW, &proc, &kind, &path)) > 0) {
                count++;
                if ((strcmp(kind, "log") == 0 || strcmp(kind, "file") == 0) && !log_path)
                        log_path = path;
                else if (strcmp(kind, "journal") == 0)
                        ident = path;
                else
                        other = kind;
        }
        if (count > 1 && log_path)
                fprintf(stderr, "airsupctl: %s has %zu instances; showing the first one's log (name GROUP[i] "
                        "for another)\n", name, count);
        if (log_path) {
                char *copy = strdup(log_path);
                sd_bus_message_unref(reply);
                if (!copy)
                        return EXIT_FAILED;
                if (access(copy, R_OK) < 0) {
                        fprintf(stderr, "airsupctl: cannot read %s: %s\n", copy, strerror(errno));
                        free(copy);
                        return EXIT_FAILED;
                }
                tail_lines(copy, n);
                if (follow)
                        follow_file(copy);
                free(copy);
                return 0;
        }
        if (ident) {
                char lines[32], *id = strdup(ident);
                sd_bus_message_unref(reply);
                if (!id)
                        return EXIT_FAILED;
                snprintf(lines, sizeof(lines), "%ld", n);
                char *argv[] = { "journalctl", "-q", "--no-pager", "-t", id, "-n", lines, follow ? "-f" : NULL,
                                 NULL };
                execvp("journalctl", argv);
                fprintf(stderr, "airsupctl: cannot run journalctl: %s\n", strerror(errno));
                free(id);
                return EXIT_FAILED;
        }
        fprintf(stderr, "airsupctl: %s writes to %s: airsupd keeps no log of it (use stdout = log:PATH)\n", name,
                other ? other : "nothing");
        sd_bus_message_unref(reply);
        return EXIT_FAILED;
}

/* logs' own options, from logs_option() */
static bool opt_follow;
static long opt_lines = 20;

const struct option logs_options[] = {
        { "follow", no_argument, NULL, 'f' },
        { "lines", required_argument, NULL, 'n' },
        {}
};

int logs_option(int opt, const char *arg) {
        char *end;

        if (opt == 'f') {
                opt_follow = true;
                return 0;
        }
        opt_lines = strtol(arg, &end, 10);      /* 'n' */
        if (*end || opt_lines < 0 || opt_lines > 1000000) {
                fprintf(stderr, "airsupctl: -n: expected 0 to 1000000, got '%s'\n", arg);
                return -EXIT_USAGE;
        }
        return 0;
}

int verb_logs(sd_bus *bus, const verb_call *v) {
        return logs_run(bus, v->args[0], opt_lines, opt_follow);
}
