/* term.c - what airsupctl does only for a person at a terminal: colours
 * for states and a pager for long output.  Neither in a pipe, with
 * --json, with TERM=dumb; colours not with NO_COLOR (no-color.org), the
 * pager not with --no-pager or AIRSUP_PAGER/PAGER set to "" or "cat". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/airsupctl.h"

bool arg_no_pager;

static int tty = -1;            /* stdout was a terminal, before any pager */
static pid_t pager_pid;

static bool terminal(void) {
        const char *term = getenv("TERM");

        if (tty < 0)
                tty = isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0);
        return tty && !arg_json;
}

bool term_colour(void) {
        const char *no = getenv("NO_COLOR");

        return terminal() && !(no && *no);
}

/* A state's colour: green when it runs, yellow on its way, red when it
 * failed, grey when it is down; "" where none. */
const char *term_state_colour(const char *state) {
        static const struct {
                const char *state, *sgr;
        } colours[] = {
                { "ready", "\033[32m" },    { "up", "\033[32m" },      { "running", "\033[32m" },
                { "starting", "\033[33m" }, { "stopping", "\033[33m" }, { "killing", "\033[33m" },
                { "backoff", "\033[33m" },  { "failed", "\033[1;31m" }, { "stopped", "\033[90m" },
                { "exited", "\033[90m" },   { "down", "\033[90m" },
        };

        if (!term_colour())
                return "";
        for (size_t i = 0; i < ELEMENTSOF(colours); i++)
                if (strcmp(state, colours[i].state) == 0)
                        return colours[i].sgr;
        return "";
}

const char *term_reset(const char *colour) {
        return colour[0] ? "\033[0m" : "";
}

/* Stdout into a pager from here on, where there is a person to read it. */
void pager_open(void) {
        const char *pager = getenv("AIRSUP_PAGER") ?: getenv("PAGER") ?: "less";
        int fds[2];

        if (pager_pid > 0 || arg_no_pager || !terminal() || !*pager || strcmp(pager, "cat") == 0)
                return;
        fflush(stdout);
        if (pipe2(fds, O_CLOEXEC) < 0)
                return;
        pager_pid = fork();
        if (pager_pid < 0) {
                close(fds[0]);
                close(fds[1]);
                pager_pid = 0;
                return;
        }
        if (pager_pid == 0) {
                /* less: quit if it fits, colours through, no init/deinit. */
                (void) dup2(fds[0], STDIN_FILENO);
                setenv("LESS", getenv("LESS") ?: "FRXK", 0);
                execlp("sh", "sh", "-c", pager, (char *) NULL);
                _exit(127);
        }
        if (dup2(fds[1], STDOUT_FILENO) < 0) {
                close(fds[0]);
                close(fds[1]);
                return;
        }
        close(fds[0]);
        close(fds[1]);
}

/* The pager's input ended, then the pager waited for. */
void pager_close(void) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        close(STDOUT_FILENO);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
}
