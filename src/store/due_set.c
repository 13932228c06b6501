/*
 * due_set.c - see due_set.h. Open addressing over indexes into the item
 * array: a batch of 512 upserts fanning out to 25 targets each is 12,800
 * adds, which a linear search would make quadratic.
 */
#include "store/due_set.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (2 * STORE_DUE_SET_MAX) /* a power of two, at most half full */

struct store_due_set {
    size_t n;
    bool any;
    uint16_t slots[SLOTS]; /* 0: empty, else index + 1 into items */
    hk_due_target items[STORE_DUE_SET_MAX];
};

store_due_set *store_due_set_new(void)
{
    return calloc(1, sizeof(store_due_set));
}

void store_due_set_free(store_due_set *s)
{
    free(s);
}

void store_due_set_clear(store_due_set *s)
{
    if (s->n > 0)
        memset(s->slots, 0, sizeof s->slots);
    s->n = 0;
    s->any = false;
}

static uint32_t hash(const char *ws, const char *target_id)
{
    uint32_t h = 2166136261u; /* FNV-1a over both ids */
    for (const unsigned char *p = (const unsigned char *)ws; *p; p++)
        h = (h ^ *p) * 16777619u;
    h = (h ^ '/') * 16777619u;
    for (const unsigned char *p = (const unsigned char *)target_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

void store_due_set_add(store_due_set *s, const char *ws, const char *target_id)
{
    if (s->any)
        return;
    size_t i = hash(ws, target_id) & (SLOTS - 1);
    for (; s->slots[i]; i = (i + 1) & (SLOTS - 1)) {
        const hk_due_target *t = &s->items[s->slots[i] - 1];
        if (strcmp(t->target_id, target_id) == 0 && strcmp(t->workspace_id, ws) == 0)
            return;
    }
    if (s->n == STORE_DUE_SET_MAX) {
        s->any = true;
        return;
    }
    hk_due_target *t = &s->items[s->n];
    snprintf(t->workspace_id, sizeof t->workspace_id, "%s", ws);
    snprintf(t->target_id, sizeof t->target_id, "%s", target_id);
    t->next_due = 0;
    s->slots[i] = (uint16_t)(++s->n);
}

void store_due_set_any(store_due_set *s)
{
    s->any = true;
}

const hk_due_target *store_due_set_items(const store_due_set *s, size_t *n, bool *any)
{
    *n = s->any ? 0 : s->n;
    *any = s->any;
    return s->items;
}
