/*
 * targets.h - per-target slots of the dispatcher (internal to src/delivery/):
 * how many attempts a target has in flight, how fast it answers, and the
 * claimed deliveries that wait for one of its slots, so that one slow target
 * cannot take every connection while the others wait.
 *
 * A slot exists while its target has something in flight or queued; the
 * dispatcher releases it when it falls idle. Queues are FIFO, linked through
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
    size_t in_flight;
    size_t queued;
    delivery_job *head, *tail;
    int64_t duration_ms; /* moving average of its attempts' durations, 0: none yet */
    int64_t progress_ms; /* monotonic: its last finished attempt, or when it filled up */
    bool ready;          /* on the ready list */
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

/* The slot of target_id, created empty when there is none; NULL when out of
 * memory. */
delivery_target *delivery_targets_get(delivery_targets *t, const char *target_id);

/* Frees the slot when nothing is in flight or queued for it and it is not
 * on the ready list. Accepts NULL. */
void delivery_targets_release_idle(delivery_targets *t, delivery_target *slot);

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
