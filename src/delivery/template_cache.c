/*
 * template_cache.c - body templates by event, first in first out (see
 * template_cache.h).
 */
#include "delivery/template_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    bool used;
    char workspace_id[HK_ID_MAX];
    char event_id[HK_ID_MAX];
    webhook_body_template tpl;
} entry;

struct delivery_template_cache {
    size_t capacity;
    size_t victim; /* the next slot to reuse: slots fill and are reused in turn */
    uint64_t hits, misses;
    entry entries[];
};

delivery_template_cache *delivery_template_cache_new(size_t capacity)
{
    if (capacity == 0)
        capacity = 1;
    delivery_template_cache *c = calloc(1, sizeof *c + capacity * sizeof(entry));
    if (!c)
        return NULL;
    c->capacity = capacity;
    return c;
}

void delivery_template_cache_free(delivery_template_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->capacity; i++)
        if (c->entries[i].used)
            webhook_body_template_free(&c->entries[i].tpl);
    free(c);
}

/* Event ids are unique per workspace, so the key is both. */
static entry *find(delivery_template_cache *c, const hk_event *ev)
{
    for (size_t i = 0; i < c->capacity; i++) {
        entry *e = &c->entries[i];
        if (e->used && strcmp(e->event_id, ev->id) == 0 &&
            strcmp(e->workspace_id, ev->workspace_id) == 0)
            return e;
    }
    return NULL;
}

hk_status delivery_template_cache_get(delivery_template_cache *c, const hk_event *ev,
                                      const webhook_body_template **out)
{
    *out = NULL;
    entry *e = find(c, ev);
    if (e) {
        c->hits++;
        *out = &e->tpl;
        return HK_OK;
    }
    c->misses++;
    webhook_body_template tpl;
    hk_status st = webhook_body_template_init(&tpl, ev);
    if (st)
        return st;
    e = &c->entries[c->victim];
    c->victim = (c->victim + 1) % c->capacity;
    if (e->used)
        webhook_body_template_free(&e->tpl);
    e->used = true;
    memcpy(e->workspace_id, ev->workspace_id, sizeof e->workspace_id);
    memcpy(e->event_id, ev->id, sizeof e->event_id);
    e->tpl = tpl;
    *out = &e->tpl;
    return HK_OK;
}

void delivery_template_cache_counts(const delivery_template_cache *c, uint64_t *hits,
                                    uint64_t *misses)
{
    *hits = c->hits;
    *misses = c->misses;
}
