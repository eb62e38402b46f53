/* policy.c - pure supervision decisions; see policy.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "common/cleanup.h"
#include "common/policy.h"

bool sup_exit_abnormal(sup_exit e, int stop_signal) {
        if (e.code == CLD_EXITED)
                return e.status != 0;
        return e.status != stop_signal;
}

bool sup_restart_wanted(cfg_restart t, sup_exit e, int stop_signal) {
        switch (t) {
        case CFG_RESTART_PERMANENT:
                return true;
        case CFG_RESTART_TRANSIENT:
                return sup_exit_abnormal(e, stop_signal);
        default:
                return false;
        }
}

sup_exit sup_exit_judged(sup_exit e, int start_error) {
        return start_error > 0 ? (sup_exit) { .code = CLD_EXITED, .status = 127 } : e;
}

uint64_t sup_uptime(uint64_t started_usec, int start_error, uint64_t now_usec) {
        if (started_usec == 0 || start_error > 0 || now_usec < started_usec)
                return 0;
        return now_usec - started_usec;
}

bool sup_restart_alone(cfg_strategy s, bool proc_failed, size_t n_procs) {
        return s == CFG_ONE_FOR_ONE || (proc_failed && n_procs > 1);
}

bool sup_child_gone(cfg_restart t, bool failed, bool held, bool ever_started, bool down) {
        if (failed)
                return true;
        if (!down)
                return false;
        return held || (t == CFG_RESTART_TEMPORARY && ever_started);
}

bool sup_supervisor_restart_wanted(cfg_restart t) {
        /* As in OTP, a supervisor that gave up ends with reason shutdown,
         * which restart types take as a normal end. */
        return sup_restart_wanted(t, (sup_exit) { .code = CLD_EXITED, .status = 0 }, 0);
}

sup_down sup_down_decide(const sup_down_facts *f) {
        if (f->stop_asked || f->stopping)
                return SUP_DOWN_ASKED;
        if (!sup_restart_wanted(f->restart, sup_exit_judged(f->exit, f->start_error ? f->start_error :
                                                            f->health_failed ? ETIME : 0),
                                f->stop_signal))
                return SUP_DOWN_RETIRE;
        return SUP_DOWN_RESTART;
}

uint64_t sup_backoff_next(sup_backoff *b, uint64_t base_usec, uint64_t max_usec, uint64_t uptime_usec) {
        uint64_t delay;

        if (b->next_usec == 0 || uptime_usec >= max_usec)
                b->next_usec = base_usec;
        delay = b->next_usec;
        b->next_usec = delay > max_usec / 2 ? max_usec : delay * 2;
        return delay;
}

int sup_window_init(sup_window *w, unsigned intensity) {
        *w = (sup_window) { .cap = (size_t) intensity + 1 };
        w->t = calloc(w->cap, sizeof(uint64_t));
        return w->t ? 0 : -ENOMEM;
}

void sup_window_done(sup_window *w) {
        free(w->t);
        *w = (sup_window) {};
}

int sup_window_resize(sup_window *w, unsigned intensity) {
        size_t cap = (size_t) intensity + 1, keep = w->n < cap ? w->n : cap;
        uint64_t *t = calloc(cap, sizeof(uint64_t));

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < keep; i++)
                t[i] = w->t[(w->head + w->n - keep + i) % w->cap];
        free(w->t);
        *w = (sup_window) { .t = t, .cap = cap, .n = keep };
        return 0;
}

static void window_expire(sup_window *w, uint64_t now_usec, uint64_t period_usec) {
        while (w->n > 0 && now_usec - w->t[w->head] > period_usec) {
                w->head = (w->head + 1) % w->cap;
                w->n--;
        }
}

size_t sup_window_count(sup_window *w, uint64_t now_usec, uint64_t period_usec) {
        window_expire(w, now_usec, period_usec);
        return w->n;
}

bool sup_window_add(sup_window *w, uint64_t now_usec, unsigned intensity, uint64_t period_usec) {
        window_expire(w, now_usec, period_usec);
        if (w->n == w->cap) {
                /* Already over the limit: the oldest entry no longer matters. */
                w->head = (w->head + 1) % w->cap;
                w->n--;
        }
        w->t[(w->head + w->n) % w->cap] = now_usec;
        w->n++;
        return w->n > intensity;
}

bool sup_strategy_restarts(cfg_strategy s, size_t failed, size_t i) {
        switch (s) {
        case CFG_ONE_FOR_ALL:
                return true;
        case CFG_REST_FOR_ONE:
                return i >= failed;
        default:
                return i == failed;
        }
}

size_t sup_strategy_affected(cfg_strategy s, size_t n, size_t failed, bool *affected) {
        size_t count = 0;

        for (size_t i = 0; i < n; i++) {
                bool a = sup_strategy_restarts(s, failed, i);

                affected[i] = a;
                count += a;
        }
        return count;
}

sup_health sup_health_next(unsigned *failures, bool ok, unsigned threshold) {
        if (ok) {
                *failures = 0;
                return SUP_HEALTH_HEALTHY;
        }
        if (*failures < UINT32_MAX)
                (*failures)++;
        return *failures >= (threshold ? threshold : 1) ? SUP_HEALTH_FAILED : SUP_HEALTH_DEGRADED;
}

const char *sup_health_to_string(sup_health h) {
        static const char *const names[_SUP_HEALTH_MAX] = {
                [SUP_HEALTH_NONE] = "-",
                [SUP_HEALTH_HEALTHY] = "healthy",
                [SUP_HEALTH_DEGRADED] = "degraded",
                [SUP_HEALTH_FAILED] = "failed",
        };
        return h >= 0 && h < _SUP_HEALTH_MAX ? names[h] : NULL;
}

uint64_t sup_health_due(uint64_t since, uint64_t interval) {
        return since > UINT64_MAX - interval ? UINT64_MAX : since + interval;
}

uint64_t sup_health_wait(uint64_t since, uint64_t interval, uint64_t now) {
        uint64_t due = sup_health_due(since, interval);

        return due > now ? due - now : 0;
}
