/* proc-fixture.h - a manager whose procs live in a fake world: spawn,
 * signals, timers and process groups are injected (sup_proc_ops), so the
 * proc table and the tree can be driven event by event without a process.
 * For test-proc.c and test-sup.c. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/core/manager.h"
#include "supervisor/core/proc.h"

/* What the fake world saw. */
static struct {
        unsigned spawns;
        int spawn_error;                /* < 0: the next spawns fail */
        int signals[16];
        unsigned n_signals;
        uint64_t armed_usec;
        proc_event armed_event;
        unsigned arms;
        proc_event fail_arm_for;        /* arming for this event fails; _PROC_EV_INVALID: none */
        bool group_alive;
        int status_w;                   /* write end of the last exec-status pipe */
        uint64_t now_usec;              /* the injected clock */
} world;

static inline int fake_spawn(sup_proc *p, int *ret_status_fd) {
        int fds[2];

        world.spawns++;
        if (world.spawn_error < 0) {
                snprintf(p->start_step, sizeof(p->start_step), "exec");
                return world.spawn_error;
        }
        /* A pid no process has (above the kernel's pid_max limit), an
         * eventfd that never turns readable as its pidfd, a real pipe for
         * the exec status. */
        p->pid = 4300000 + (pid_t) world.spawns;
        p->pidfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        assert_true(p->pidfd >= 0 && pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
        safe_close(world.status_w);
        world.status_w = fds[1];
        *ret_status_fd = fds[0];
        return 0;
}

static inline void fake_signal(sup_proc *p, int sig) {
        (void) p;
        if (world.n_signals < ELEMENTSOF(world.signals))
                world.signals[world.n_signals++] = sig;
}

static inline int fake_arm(sup_proc *p, uint64_t usec) {
        (void) p;
        if (p->timer_event == world.fail_arm_for)
                return -ENOMEM;
        world.arms++;
        world.armed_usec = usec;
        world.armed_event = p->timer_event;
        return 0;
}

static inline bool fake_group_alive(const sup_proc *p) {
        return p->pgid > 0 && world.group_alive;
}

/* The fake world's clock: moves only when a test moves it. */
static inline uint64_t fake_now(sup_manager *m) {
        (void) m;
        return world.now_usec;
}

static const sup_proc_ops fake_ops = {
        .spawn = fake_spawn,
        .signal = fake_signal,
        .arm = fake_arm,
        .group_alive = fake_group_alive,
        .now = fake_now,
};

typedef struct fixture {
        sd_event *e;
        sup_manager *m;
        sup_proc *p;
        char events[1024];
} fixture;

static inline void record(const sup_event *e, void *userdata) {
        fixture *f = userdata;
        size_t l = strlen(f->events);

        snprintf(f->events + l, sizeof(f->events) - l, "%s%s", l ? "," : "", sup_event_type_to_string(e->type));
}

/* The configuration TEXT, loaded from a temporary file (errors fail the test). */
static inline cfg *cfg_from_text(const char *text) {
        char path[] = "/tmp/airsup-test-cfg-XXXXXX";
        FILE *null = fopen("/dev/null", "w");
        cfg *c = NULL;
        int fd = mkstemp(path);

        assert_true(null && fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        assert_int_equal(cfg_load(path, null, &c), 0);
        unlink(path);
        fclose(null);
        return c;
}

/* A manager over the configuration TEXT, with the fake world in place. */
static inline fixture *fixture_conf(const char *text) {
        fixture *f = calloc(1, sizeof(*f));
        cfg *c = cfg_from_text(text);

        assert_non_null(f);
        memset(&world, 0, sizeof(world));
        world.status_w = -EBADF;
        world.fail_arm_for = _PROC_EV_INVALID;
        world.group_alive = true;
        world.now_usec = 1000 * USEC_PER_SEC;
        assert_int_equal(sd_event_new(&f->e), 0);
        assert_int_equal(manager_new(c, f->e, SUP_LOG_STDERR, false, false, &f->m), 0);
        f->m->proc_ops = &fake_ops;
        assert_true(sup_events_subscribe(&f->m->events, record, f) >= 0);
        return f;
}

/* One group "g" with GROUP_KEYS; f->p is its proc. */
static inline fixture *fixture_new(const char *group_keys) {
        char text[512];
        fixture *f;

        snprintf(text, sizeof(text), "[group:g]\ncommand = /bin/true\n%s", group_keys);
        f = fixture_conf(text);
        assert_int_equal(manager_find_proc(f->m, "g", &f->p), 0);
        return f;
}

static inline void fixture_free(fixture *f) {
        manager_free(f->m);
        sd_event_unref(f->e);
        safe_close(world.status_w);
        free(f);
}

static inline void exited(sup_proc *p, int code, int status) {
        p->exit = (sup_exit) { .code = code, .status = status };
        assert_int_equal(proc_dispatch(p, PROC_EV_EXIT), 0);
}
