/*
 * due_set.h - the targets a batch of writes made deliveries due for, without
 * repeats, so that the commit hook can tell the dispatcher which targets to
 * claim for instead of having it look at every target.
 *
 * A fixed capacity: past it (or when a write made deliveries due it cannot
 * name) the set says "any", and the dispatcher looks at every target. Not
 * thread-safe: it belongs to the store's writer thread.
 */
#ifndef HOOKD_STORE_DUE_SET_H
#define HOOKD_STORE_DUE_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/deliveries.h"

#define STORE_DUE_SET_MAX 512

typedef struct store_due_set store_due_set;

/* NULL when out of memory. */
store_due_set *store_due_set_new(void);
void store_due_set_free(store_due_set *s); /* accepts NULL */
void store_due_set_clear(store_due_set *s);

/* Adds (ws, target) unless present; a full set turns to "any". */
void store_due_set_add(store_due_set *s, const char *ws, const char *target_id);
/* Deliveries may have become due for targets the caller cannot name. */
void store_due_set_any(store_due_set *s);

/* The targets added (valid until the next change), and whether "any" holds. */
const hk_due_target *store_due_set_items(const store_due_set *s, size_t *n, bool *any);

#endif
