/*
 * targets.c - per-target slots and queues: a chained hash table keyed by
 * target id (see targets.h).
 */
#include "delivery/targets.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

/* Slots exist for targets with work in hand or pending in the store: at
 * most 25 per workspace. A fixed table stays short-chained for thousands. */
#define BUCKETS 1024

struct delivery_targets {
    size_t count;
    delivery_target *ready_head, *ready_tail;
    delivery_target *buckets[BUCKETS];
};

static size_t bucket_of(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % BUCKETS;
}

static void free_slot(delivery_target *s)
{
    hk_arena_free(s->conf_arena);
    free(s);
}

delivery_targets *delivery_targets_new(void)
{
    return calloc(1, sizeof(delivery_targets));
}

void delivery_targets_free(delivery_targets *t)
{
    if (!t)
        return;
    for (size_t b = 0; b < BUCKETS; b++) {
        delivery_target *s = t->buckets[b];
        while (s) {
            delivery_target *next = s->next;
            free_slot(s);
            s = next;
        }
    }
    free(t);
}

delivery_target *delivery_targets_find(delivery_targets *t, const char *target_id)
{
    for (delivery_target *s = t->buckets[bucket_of(target_id)]; s; s = s->next)
        if (strcmp(s->id, target_id) == 0)
            return s;
    return NULL;
}

delivery_target *delivery_targets_get(delivery_targets *t, const char *target_id)
{
    delivery_target *s = delivery_targets_find(t, target_id);
    if (s)
        return s;
    if (!(s = calloc(1, sizeof *s)))
        return NULL;
    size_t n = strnlen(target_id, HK_ID_MAX - 1);
    memcpy(s->id, target_id, n);
    s->id[n] = '\0';
    s->due_at = HK_TIME_NONE;
    s->limit = 1; /* slow start: a target earns concurrency by answering */
    s->keep_alive_s = -1;
    size_t b = bucket_of(target_id);
    s->next = t->buckets[b];
    t->buckets[b] = s;
    t->count++;
    return s;
}

delivery_target *delivery_targets_track(delivery_targets *t, const char *workspace_id,
                                        const char *target_id)
{
    delivery_target *s = delivery_targets_get(t, target_id);
    if (s && !s->workspace_id[0])
        snprintf(s->workspace_id, sizeof s->workspace_id, "%s", workspace_id);
    return s;
}

void delivery_targets_each(delivery_targets *t, void (*fn)(delivery_target *, void *), void *arg)
{
    for (size_t b = 0; b < BUCKETS; b++)
        for (delivery_target *s = t->buckets[b]; s; s = s->next)
            fn(s, arg);
}

void delivery_targets_release_idle(delivery_targets *t, delivery_target *slot)
{
    if (!slot || slot->in_flight > 0 || slot->queued > 0 || slot->ready || slot->paced ||
        slot->claiming || slot->due_at != HK_TIME_NONE)
        return;
    delivery_target **link = &t->buckets[bucket_of(slot->id)];
    while (*link && *link != slot)
        link = &(*link)->next;
    if (!*link)
        return;
    *link = slot->next;
    t->count--;
    free_slot(slot);
}

void delivery_target_push(delivery_target *slot, delivery_job *job)
{
    job->next = NULL;
    if (slot->tail)
        slot->tail->next = job;
    else
        slot->head = job;
    slot->tail = job;
    slot->queued++;
}

delivery_job *delivery_target_pop(delivery_target *slot)
{
    delivery_job *job = slot->head;
    if (!job)
        return NULL;
    slot->head = job->next;
    if (!slot->head)
        slot->tail = NULL;
    slot->queued--;
    job->next = NULL;
    return job;
}

delivery_job *delivery_target_trim(delivery_target *slot, size_t keep)
{
    if (slot->queued <= keep)
        return NULL;
    delivery_job *cut;
    if (keep == 0) {
        cut = slot->head;
        slot->head = slot->tail = NULL;
    } else {
        delivery_job *last = slot->head;
        for (size_t i = 1; i < keep; i++)
            last = last->next;
        cut = last->next;
        last->next = NULL;
        slot->tail = last;
    }
    slot->queued = keep;
    return cut;
}

void delivery_target_observe(delivery_target *slot, int64_t duration_ms)
{
    if (duration_ms < 1)
        duration_ms = 1;
    /* A short memory (1/4 weight for the newest) follows a target that slows down. */
    if (slot->duration_ms == 0)
        slot->duration_ms = duration_ms;
    else
        slot->duration_ms = (3 * slot->duration_ms + duration_ms) / 4;
}

void delivery_targets_mark_ready(delivery_targets *t, delivery_target *slot)
{
    if (slot->ready)
        return;
    slot->ready = true;
    slot->ready_next = NULL;
    if (t->ready_tail)
        t->ready_tail->ready_next = slot;
    else
        t->ready_head = slot;
    t->ready_tail = slot;
}

delivery_target *delivery_targets_pop_ready(delivery_targets *t)
{
    delivery_target *slot = t->ready_head;
    if (!slot)
        return NULL;
    t->ready_head = slot->ready_next;
    if (!t->ready_head)
        t->ready_tail = NULL;
    slot->ready = false;
    slot->ready_next = NULL;
    return slot;
}

void delivery_targets_each_queued(delivery_targets *t, void (*fn)(delivery_target *, void *),
                                  void *arg)
{
    for (size_t b = 0; b < BUCKETS; b++) {
        delivery_target *s = t->buckets[b];
        while (s) {
            delivery_target *next = s->next; /* fn may free s */
            if (s->queued > 0)
                fn(s, arg);
            s = next;
        }
    }
}

delivery_job *delivery_targets_take_queued(delivery_targets *t)
{
    while (delivery_targets_pop_ready(t))
        ;
    delivery_job *list = NULL;
    for (size_t b = 0; b < BUCKETS; b++) {
        delivery_target *s = t->buckets[b];
        while (s) {
            delivery_target *next = s->next;
            delivery_job *job;
            while ((job = delivery_target_pop(s))) {
                job->target = NULL;
                job->next = list;
                list = job;
            }
            delivery_targets_release_idle(t, s);
            s = next;
        }
    }
    return list;
}

size_t delivery_targets_count(const delivery_targets *t)
{
    return t->count;
}
