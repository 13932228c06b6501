/*
 * sqlite_pcache.h - SQLite's own page cache, minus a full scan at every
 * commit.
 *
 * Why: at the end of every write transaction SQLite drops the cached pages
 * past the end of the database (pager_end_transaction ->
 * sqlite3PcacheTruncate). Its default cache (pcache1) decides what to drop
 * from the largest page number it has ever held, and scans every hash bucket
 * of the cache whenever that number lies further past the end than the hash
 * table is long. A b-tree page split that reorders sibling pages moves one
 * of them through a temporary page number past the 1 GiB lock page
 * (262145 with 4 KiB pages), so after most commits that split a page, the
 * whole cache is scanned: with the store's 64 MiB cache, 16k buckets and
 * pages, ~0.5 ms per commit, and a fifth of the writer thread's time while
 * the dispatcher drains a backlog (measured, docs/BENCHMARKS.md).
 *
 * What: a thin layer over the default cache. It remembers which page numbers
 * at or past the last truncation point it has handed out or moved pages to
 * since then, and passes a truncation on to pcache1 only when one of those
 * may be at or past the new point (or the point moved down, or it lost
 * count). It never holds a page itself; every other call goes straight
 * through, so caching, eviction and memory accounting stay SQLite's.
 *
 * Correctness rests on one invariant, kept conservatively: every live page
 * whose number is at or past the mark is remembered (a page pcache1 recycles
 * or discards silently stays remembered, which only costs a pass-through).
 */
#ifndef HOOKD_STORE_SQLITE_PCACHE_H
#define HOOKD_STORE_SQLITE_PCACHE_H

#include <stdbool.h>

#include <sqlite3.h>

/*
 * Installs the layer for the whole process. Must run before SQLite
 * initialises (before the first sqlite3_open*): it returns false, changing
 * nothing, when SQLite is already initialised or refuses the configuration;
 * SQLite's default cache then serves, as it would without this module.
 * Not thread-safe: call it once, e.g. under pthread_once.
 */
bool sqlite_pcache_install(void);

/* Whether sqlite_pcache_install succeeded in this process. */
bool sqlite_pcache_installed(void);

/*
 * For tests: the methods of the layer, bound to the default cache they wrap
 * (read with SQLITE_CONFIG_GETPCACHE2 on first use), so that a test can
 * drive them directly. Calls that SQLite would make under a connection's
 * mutex must be made from one thread at a time per cache. NULL when the
 * default cache cannot be read.
 */
const sqlite3_pcache_methods2 *sqlite_pcache_methods(void);

/* How many truncations the caches of this process passed on to the default
 * cache, and how many they answered themselves (tests, diagnostics). */
void sqlite_pcache_counts(unsigned long *passed, unsigned long *skipped);

#endif
