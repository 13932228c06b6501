#include "core/arena.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16
#define FIRST_BLOCK_SIZE ((size_t)8 << 10)
#define MAX_BLOCK_SIZE ((size_t)1 << 20)

typedef struct block {
    struct block *next;
    unsigned char *data; /* ALIGN-aligned start of the usable bytes */
    size_t size;
    size_t used;
} block;

struct hk_arena {
    block *head;  /* small allocations come from here */
    block *first; /* the oldest block, at the tail of the list; survives reset */
    block *big;   /* blocks holding one big allocation each */
    size_t next_size;
    size_t limit;
    size_t used;
};

static size_t align_up(size_t n)
{
    return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static block *block_new(size_t size)
{
    /* malloc's own alignment may be less than ALIGN on some platforms. */
    if (size > SIZE_MAX - sizeof(block) - ALIGN)
        return NULL;
    block *b = malloc(sizeof(block) + ALIGN - 1 + size);
    if (!b)
        return NULL;
    uintptr_t start = (uintptr_t)(b + 1);
    b->data = (unsigned char *)((start + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

hk_arena *hk_arena_new(size_t limit)
{
    hk_arena *a = malloc(sizeof *a);
    if (!a)
        return NULL;
    a->first = a->head = block_new(FIRST_BLOCK_SIZE);
    if (!a->head) {
        free(a);
        return NULL;
    }
    a->big = NULL;
    a->next_size = FIRST_BLOCK_SIZE * 2;
    a->limit = limit ? limit : HK_ARENA_DEFAULT_LIMIT;
    a->used = 0;
    return a;
}

/* Frees the blocks from b up to, not including, stop. */
static void free_blocks(block *b, const block *stop)
{
    while (b && b != stop) {
        block *next = b->next;
        free(b);
        b = next;
    }
}

void hk_arena_free(hk_arena *a)
{
    if (!a)
        return;
    free_blocks(a->head, NULL);
    free_blocks(a->big, NULL);
    free(a);
}

void hk_arena_reset(hk_arena *a)
{
    if (!a)
        return;
    free_blocks(a->head, a->first);
    free_blocks(a->big, NULL);
    a->big = NULL;
    a->head = a->first;
    a->first->used = 0;
    a->used = 0;
}

/* An allocation bigger than a quarter of a normal block gets a block of its
 * own, so it neither wastes the rest of the head nor makes the next normal
 * block huge. */
static void *alloc_big(hk_arena *a, size_t n)
{
    block *b = block_new(n);
    if (!b)
        return NULL;
    b->used = n;
    b->next = a->big;
    a->big = b;
    return b->data;
}

static void *alloc_fresh_block(hk_arena *a, size_t n)
{
    block *b = block_new(a->next_size);
    if (!b)
        return NULL;
    if (a->next_size < MAX_BLOCK_SIZE)
        a->next_size *= 2;
    b->next = a->head;
    a->head = b;
    b->used = n;
    return b->data;
}

void *hk_arena_alloc(hk_arena *a, size_t n)
{
    /* The second test keeps align_up from wrapping when limit is SIZE_MAX. */
    if (!a || n > a->limit || n > SIZE_MAX - ALIGN)
        return NULL;
    /* n == 0 still takes ALIGN bytes, so that every pointer is unique. */
    size_t need = align_up(n ? n : 1);
    if (need > a->limit - a->used)
        return NULL;
    void *p;
    block *h = a->head;
    if (need <= h->size - h->used) {
        p = h->data + h->used;
        h->used += need;
    } else if (need > a->next_size / 4) {
        p = alloc_big(a, need);
    } else {
        p = alloc_fresh_block(a, need);
    }
    if (p)
        a->used += need;
    return p;
}

void *hk_arena_calloc(hk_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = hk_arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *hk_arena_strndup(hk_arena *a, const char *s, size_t n)
{
    if (!s || n == SIZE_MAX)
        return NULL;
    char *p = hk_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *hk_arena_strdup(hk_arena *a, const char *s)
{
    return s ? hk_arena_strndup(a, s, strlen(s)) : NULL;
}

char *hk_arena_sprintf(hk_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = hk_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t hk_arena_used(const hk_arena *a)
{
    return a ? a->used : 0;
}
