/* proc-query.c - what the operator's side reads of one process. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "supervisor/config/cfg.h"
#include "supervisor/core/proc.h"
#include "supervisor/operator/proc-query.h"

const sup_exit *query_last_exit(const sup_proc *p, int *ret_start_error) {
        bool current = p->exit.code != 0 || p->start_error != 0;

        *ret_start_error = current ? p->start_error : p->last_start_error;
        return current ? &p->exit : &p->last_exit;
}

void query_last_exit_text(const sup_proc *p, char *buf, size_t size) {
        int start_error;
        const sup_exit *x = query_last_exit(p, &start_error);

        buf[0] = '\0';
        if (start_error > 0)
                snprintf(buf, size, "start-failed=%s", strerrorname_np(start_error) ?: "?");
        else if (x->code == CLD_EXITED)
                snprintf(buf, size, "status=%d", x->status);
        else if (x->code == CLD_KILLED || x->code == CLD_DUMPED)
                snprintf(buf, size, "signal=%s", cfg_signal_to_string(x->status));
        else if (x->code != 0)
                snprintf(buf, size, "unknown");
}

bool query_proc_running(const sup_proc *p) {
        return p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_READY ||
               p->state == PROC_STOPPING || p->state == PROC_KILLING;
}

uint64_t query_proc_uptime(const sup_proc *p, uint64_t now) {
        return query_proc_running(p) && p->started_usec > 0 && now > p->started_usec ? now - p->started_usec : 0;
}

const char *query_output_kind(cfg_output o) {
        switch (o) {
        case CFG_OUTPUT_LOG: return "log";
        case CFG_OUTPUT_FILE: return "file";
        case CFG_OUTPUT_JOURNAL: return "journal";
        case CFG_OUTPUT_CONSOLE: return "console";
        case CFG_OUTPUT_NULL: return "null";
        default: return "inherit";
        }
}
