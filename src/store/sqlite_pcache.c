/*
 * sqlite_pcache.c - SQLite's default page cache without the scan at every
 * commit (see sqlite_pcache.h for the why).
 */
#include "store/sqlite_pcache.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Page numbers at or past the mark remembered per cache before the layer
 * stops counting and passes the next truncation on. A commit that splits
 * b-tree pages moves a handful of pages; appends add pages past the end. */
#define TRACKED_MAX 32

typedef struct layer_cache {
    sqlite3_pcache *inner;
    /* Every live page numbered at or past `mark` is in keys[] (or `lost`). */
    unsigned mark;
    unsigned n;
    bool lost;
    unsigned keys[TRACKED_MAX];
} layer_cache;

static sqlite3_pcache_methods2 base; /* SQLite's default cache */
static bool base_loaded, installed;
static atomic_ulong passed_count, skipped_count;

static bool load_base(void)
{
    if (!base_loaded && sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base) == SQLITE_OK &&
        base.xInit && base.xCreate && base.xFetch && base.xTruncate)
        base_loaded = true;
    return base_loaded;
}

static layer_cache *as_layer(sqlite3_pcache *p)
{
    return (layer_cache *)p;
}

static void remember(layer_cache *c, unsigned key)
{
    if (key < c->mark || c->lost)
        return;
    for (unsigned i = 0; i < c->n; i++)
        if (c->keys[i] == key)
            return;
    if (c->n == TRACKED_MAX) {
        c->lost = true;
        return;
    }
    c->keys[c->n++] = key;
}

static void forget(layer_cache *c, unsigned key)
{
    for (unsigned i = 0; i < c->n; i++) {
        if (c->keys[i] == key) {
            c->keys[i] = c->keys[--c->n];
            return;
        }
    }
}

/* Whether a page numbered at or past `limit` may be live. */
static bool may_hold_from(const layer_cache *c, unsigned limit)
{
    if (c->lost || limit < c->mark)
        return true;
    for (unsigned i = 0; i < c->n; i++)
        if (c->keys[i] >= limit)
            return true;
    return false;
}

/* ---- the methods ---- */

static int layer_init(void *arg)
{
    (void)arg;
    return base.xInit(base.pArg);
}

static void layer_shutdown(void *arg)
{
    (void)arg;
    if (base.xShutdown)
        base.xShutdown(base.pArg);
}

static sqlite3_pcache *layer_create(int page_size, int extra_size, int purgeable)
{
    layer_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->inner = base.xCreate(page_size, extra_size, purgeable);
    if (!c->inner) {
        free(c);
        return NULL;
    }
    /* Empty: no page is past any mark. The first truncation (below the
     * mark) passes through and sets a real one. */
    c->mark = UINT_MAX;
    return (sqlite3_pcache *)c;
}

static void layer_cachesize(sqlite3_pcache *p, int pages)
{
    base.xCachesize(as_layer(p)->inner, pages);
}

static int layer_pagecount(sqlite3_pcache *p)
{
    return base.xPagecount(as_layer(p)->inner);
}

static sqlite3_pcache_page *layer_fetch(sqlite3_pcache *p, unsigned key, int create)
{
    layer_cache *c = as_layer(p);
    sqlite3_pcache_page *page = base.xFetch(c->inner, key, create);
    if (page)
        remember(c, key);
    return page;
}

static void layer_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard)
{
    /* A discarded page stays remembered: that only costs a pass-through. */
    base.xUnpin(as_layer(p)->inner, page, discard);
}

static void layer_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned old_key,
                        unsigned new_key)
{
    layer_cache *c = as_layer(p);
    base.xRekey(c->inner, page, old_key, new_key);
    forget(c, old_key);
    remember(c, new_key);
}

static void layer_truncate(sqlite3_pcache *p, unsigned limit)
{
    layer_cache *c = as_layer(p);
    if (may_hold_from(c, limit)) {
        base.xTruncate(c->inner, limit);
        atomic_fetch_add_explicit(&passed_count, 1, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&skipped_count, 1, memory_order_relaxed);
    }
    /* Nothing at or past `limit` is live now. */
    c->mark = limit;
    c->n = 0;
    c->lost = false;
}

static void layer_destroy(sqlite3_pcache *p)
{
    layer_cache *c = as_layer(p);
    base.xDestroy(c->inner);
    free(c);
}

static void layer_shrink(sqlite3_pcache *p)
{
    if (base.xShrink)
        base.xShrink(as_layer(p)->inner);
}

static const sqlite3_pcache_methods2 layer = {
    .iVersion = 1,
    .pArg = NULL,
    .xInit = layer_init,
    .xShutdown = layer_shutdown,
    .xCreate = layer_create,
    .xCachesize = layer_cachesize,
    .xPagecount = layer_pagecount,
    .xFetch = layer_fetch,
    .xUnpin = layer_unpin,
    .xRekey = layer_rekey,
    .xTruncate = layer_truncate,
    .xDestroy = layer_destroy,
    .xShrink = layer_shrink,
};

bool sqlite_pcache_install(void)
{
    if (installed)
        return true;
    if (!load_base())
        return false;
    installed = sqlite3_config(SQLITE_CONFIG_PCACHE2, &layer) == SQLITE_OK;
    return installed;
}

bool sqlite_pcache_installed(void)
{
    return installed;
}

const sqlite3_pcache_methods2 *sqlite_pcache_methods(void)
{
    return load_base() ? &layer : NULL;
}

void sqlite_pcache_counts(unsigned long *passed, unsigned long *skipped)
{
    *passed = atomic_load_explicit(&passed_count, memory_order_relaxed);
    *skipped = atomic_load_explicit(&skipped_count, memory_order_relaxed);
}
