/*
 * target_stats.c - see target_stats.h. A linear probe over the labelled
 * targets' ids: at most a few hundred, looked up once per attempt.
 */
#include "delivery/target_stats.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hk_target_stats {
    pthread_mutex_t lock;
    size_t max, n;
    size_t slots;              /* a power of two, at least 2 x max */
    uint32_t *index;           /* slots entries: 0 empty, else position + 1 in `series` */
    hk_target_figures *series; /* max of them */
    hk_target_figures other;
};

hk_target_stats *hk_target_stats_new(size_t max)
{
    hk_target_stats *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->max = max;
    s->slots = 16;
    while (s->slots < 2 * max)
        s->slots *= 2;
    s->index = calloc(s->slots, sizeof *s->index);
    s->series = calloc(max ? max : 1, sizeof *s->series);
    if (!s->index || !s->series) {
        hk_target_stats_free(s);
        return NULL;
    }
    snprintf(s->other.target_id, sizeof s->other.target_id, "%s", HK_TARGET_STATS_OTHER);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void hk_target_stats_free(hk_target_stats *s)
{
    if (!s)
        return;
    if (s->index && s->series)
        pthread_mutex_destroy(&s->lock);
    free(s->index);
    free(s->series);
    free(s);
}

static uint32_t hash(const char *id)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The target's series: found, or given one while there is room, else _other. */
static hk_target_figures *series_of(hk_target_stats *s, const char *ws, const char *id)
{
    size_t i = hash(id) & (s->slots - 1);
    for (; s->index[i]; i = (i + 1) & (s->slots - 1)) {
        hk_target_figures *f = &s->series[s->index[i] - 1];
        if (strcmp(f->target_id, id) == 0)
            return f;
    }
    if (s->n == s->max)
        return &s->other;
    hk_target_figures *f = &s->series[s->n];
    snprintf(f->target_id, sizeof f->target_id, "%s", id);
    snprintf(f->workspace_id, sizeof f->workspace_id, "%s", ws);
    s->index[i] = (uint32_t)++s->n;
    return f;
}

void hk_target_stats_record(hk_target_stats *s, const char *workspace_id, const char *target_id,
                            bool succeeded, int status, int64_t duration_ms)
{
    pthread_mutex_lock(&s->lock);
    hk_target_figures *f = series_of(s, workspace_id, target_id);
    if (succeeded)
        f->succeeded++;
    else
        f->failed++;
    f->duration_ms += duration_ms > 0 ? (uint64_t)duration_ms : 0;
    f->last_status = status;
    f->failing = !succeeded;
    pthread_mutex_unlock(&s->lock);
}

size_t hk_target_stats_snapshot(hk_target_stats *s, hk_target_figures *out, size_t cap)
{
    pthread_mutex_lock(&s->lock);
    bool other = s->other.succeeded + s->other.failed > 0;
    size_t total = s->n + other;
    size_t k = s->n < cap ? s->n : cap;
    memcpy(out, s->series, k * sizeof *out);
    if (other && k < cap)
        out[k] = s->other;
    pthread_mutex_unlock(&s->lock);
    return total;
}
