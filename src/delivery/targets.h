/*
 * targets.h - per-target slots of the dispatcher (internal to src/delivery/):
 * how many attempts a target has in flight, how fast it answers, and the
 * claimed deliveries that wait for one of its slots, so that one slow target
 * cannot take every connection while the others wait.
 *
 * A slot exists while its target has something in flight, queued, being
 * claimed, or pending in the store (due_at set); the dispatcher releases it
 * when none of that holds. It also keeps what the dispatcher has learnt of
 * the target: how many attempts it takes at once (`limit`, which grows with
 * successes and shrinks when the target is overloaded or down) and when it
 * may send the next one (a requests-per-second cap). Queues are FIFO, linked through
 * delivery_job.next; the table never frees jobs. Slots whose queued jobs
 * wait only for the dispatcher's overall limit (not their own) are kept on a
 * "ready" list, so they are served as soon as any attempt ends.
 *
 * Not thread-safe: it belongs to the dispatcher thread.
 */
#ifndef HOOKD_DELIVERY_TARGETS_H
#define HOOKD_DELIVERY_TARGETS_H

#include <stddef.h>

#include "core/arena.h"
#include "delivery/job.h"

struct delivery_target {
    struct delivery_target *next; /* hash chain */
    char id[HK_ID_MAX];
    char workspace_id[HK_ID_MAX]; /* "" until known */
    size_t in_flight;
    size_t queued;
    delivery_job *head, *tail;

    /* Claiming: when the store may next have a delivery of it to claim (wall
     * clock; HK_TIME_NONE: nothing pending known), and whether a claim for it
     * is committing (a notification meanwhile is kept in `notified`). */
    int64_t due_at;
    bool claiming, notified;
    int64_t last_claim_ms; /* monotonic: the last claim that asked for it */

    /* Pacing: attempts at once it is given now (1 up to the per-target
     * limit), whether its last attempt found it overloaded or down, and the
     * earliest start of its next attempt under a requests-per-second cap. */
    size_t limit;
    bool failing;
    uint32_t rps;          /* 0: no cap */
    int64_t next_start_us; /* monotonic microseconds */
    bool paced;            /* on the dispatcher's paced list */
    int64_t duration_ms;   /* moving average of its attempts' durations, 0: none yet */
    int64_t progress_ms;   /* monotonic: its last finished attempt, or when it filled up */
    /* The idle time its last response said its connection would be kept for (Keep-Alive:
     * timeout=N), -1: none said; the next attempts reuse connections accordingly. */
    int keep_alive_s;
    bool ready; /* on the ready list */
    struct delivery_target *ready_next;

    /* The target's settings and its workspace's HMAC secret as last read
     * (strings in conf_arena, owned by the slot), reused for a short while
     * by the dispatcher so that a busy target is not read for every attempt. */
    hk_arena *conf_arena;
    hk_webhook_target conf;
    hk_hmac_secret conf_secret;
    int64_t conf_loaded_ms; /* monotonic; 0: nothing read yet */
};

typedef struct delivery_targets delivery_targets;

/* NULL when out of memory. */
delivery_targets *delivery_targets_new(void);
/* Frees the table and its slots (not the jobs: empty the queues first with
 * delivery_targets_take_queued). Accepts NULL. */
void delivery_targets_free(delivery_targets *t);

/* The slot of target_id, created empty when there is none (limit 1,
 * nothing due); NULL when out of memory. */
delivery_target *delivery_targets_get(delivery_targets *t, const char *target_id);
/* The same, noting the target's workspace. */
delivery_target *delivery_targets_track(delivery_targets *t, const char *workspace_id,
                                        const char *target_id);
/* The slot of target_id, or NULL. */
delivery_target *delivery_targets_find(delivery_targets *t, const char *target_id);

/* Frees the slot when nothing is in flight, queued, being claimed or known
 * pending for it and it is on no list. Accepts NULL. */
void delivery_targets_release_idle(delivery_targets *t, delivery_target *slot);

/* Calls fn for every slot; fn must not free any. */
void delivery_targets_each(delivery_targets *t, void (*fn)(delivery_target *, void *), void *arg);

void delivery_target_push(delivery_target *slot, delivery_job *job);
/* The oldest queued job, NULL when none. */
delivery_job *delivery_target_pop(delivery_target *slot);
/* Cuts the queue to its `keep` oldest jobs; returns the others (newest
 * last, linked by next), NULL when there were none. */
delivery_job *delivery_target_trim(delivery_target *slot, size_t keep);

/* Folds one attempt's duration into the slot's average. */
void delivery_target_observe(delivery_target *slot, int64_t duration_ms);

/* Puts the slot at the end of the ready list (once). */
void delivery_targets_mark_ready(delivery_targets *t, delivery_target *slot);
/* The first slot of the ready list, taken off it; NULL when empty. */
delivery_target *delivery_targets_pop_ready(delivery_targets *t);

/* Calls fn for every slot that has queued jobs. fn may trim that queue and
 * release that slot, but no other. */
void delivery_targets_each_queued(delivery_targets *t, void (*fn)(delivery_target *, void *),
                                  void *arg);

/* Takes every queued job out of every queue (a list linked by next), empties
 * the ready list and frees the slots left idle. */
delivery_job *delivery_targets_take_queued(delivery_targets *t);

/* Slots in the table. */
size_t delivery_targets_count(const delivery_targets *t);

#endif
