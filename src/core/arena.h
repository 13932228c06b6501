/*
 * arena.h - a region allocator for request-scoped memory.
 *
 * One arena per request, GraphQL execution or store read: everything
 * allocated from it is freed at once by hk_arena_free (or reused after
 * hk_arena_reset). Allocations are 16-byte aligned. An arena has a hard
 * limit on the bytes it hands out; past it, allocations return NULL.
 *
 * Not thread-safe: an arena belongs to one thread at a time.
 */
#ifndef HOOKD_CORE_ARENA_H
#define HOOKD_CORE_ARENA_H

#include <stddef.h>

typedef struct hk_arena hk_arena;

#define HK_ARENA_DEFAULT_LIMIT ((size_t)64 << 20) /* 64 MiB */

/* limit 0 means HK_ARENA_DEFAULT_LIMIT. NULL when out of memory. */
hk_arena *hk_arena_new(size_t limit);
/* Frees the arena and everything allocated from it. Accepts NULL. */
void hk_arena_free(hk_arena *a);
/* Forgets every allocation, keeping (some of) the memory for reuse. */
void hk_arena_reset(hk_arena *a);

/* n bytes, uninitialised (n == 0 gives a valid unique pointer). NULL past
 * the limit or when out of memory. */
void *hk_arena_alloc(hk_arena *a, size_t n);
/* n bytes, zeroed. */
void *hk_arena_calloc(hk_arena *a, size_t count, size_t size);
/* Copies n bytes of s and adds a NUL. NULL when s is NULL or on failure. */
char *hk_arena_strndup(hk_arena *a, const char *s, size_t n);
char *hk_arena_strdup(hk_arena *a, const char *s);
char *hk_arena_sprintf(hk_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bytes handed out since creation or the last reset. */
size_t hk_arena_used(const hk_arena *a);

#endif
