/* broker-internal.h - what broker.c shares with broker-ctl.c (airsupctl's
 * messages): a mailbox and its lanes, and how one is found or made. */
#pragma once

#include <stdint.h>

#include "supervisor/core/types.h"

typedef struct broker_lane {
        sup_proc *sender;               /* NULL: it went away (a reload) */
        char sender_name[96];
        int fd;
        int space_fd;                   /* the receiver writes it when room is made for a waiting sender */
        uint32_t index;
} broker_lane;

struct broker_box {
        int bell_fd, event_fd;
        broker_lane *lanes;
        size_t n, cap;
        struct shm_tx *ctl_tx;          /* airsupd's end of the lane airsupctl's messages come on */
        struct broker_box *prev, *next;         /* every mailbox there is (boxes) */
};

/* P's mailbox, made the first time it is asked for. */
int broker__box_get(sup_proc *p, struct broker_box **ret);
/* The lane from S into R's mailbox, made the first time it is asked for. */
int broker__lane_get(sup_proc *s, sup_proc *r, broker_lane **ret);
/* The instance NAME leads to (a pool's: the next live one). */
int broker__resolve(sup_manager *m, const char *name, sup_proc **ret);
