/*
 * lists.c - Relay-style pagination over customers and groups (SPEC §6):
 * default 25, at most 100, first/after and last/before never mixed. The
 * cursor of a row is its id; ids are time-ordered, so pages are stable while
 * rows are added. Customers sorted by name are paged by position instead:
 * their cursors hold the row's full name and id (see name_cursor).
 */
#include <stdio.h>
#include <string.h>

#include "core/crypto.h"
#include "core/ids.h"
#include "core/utf8.h"
#include "domain/domain_int.h"

/* Directions and sizes, whatever the cursors are. */
static hk_status check_page_shape(const hk_page_request *p, hk_error *err)
{
    bool forward = p->first >= 0 || p->after;
    bool backward = p->last >= 0 || p->before;
    if (forward && backward)
        return hk_error_field(err, HK_EINVAL, NULL, p->first >= 0 ? "last" : "before",
                              HK_FIELD_VALIDATION,
                              "first/after and last/before cannot be used together");
    if (p->first > HK_PAGE_MAX || p->last > HK_PAGE_MAX)
        return hk_error_field(err, HK_EINVAL, NULL, p->first >= 0 ? "first" : "last",
                              HK_FIELD_VALIDATION, "a page holds at most %d items", HK_PAGE_MAX);
    if (p->first < -1 || p->last < -1)
        return hk_error_field(err, HK_EINVAL, NULL, p->first < -1 ? "first" : "last",
                              HK_FIELD_VALIDATION, "page sizes cannot be negative");
    return HK_OK;
}

hk_status hk_page_check(const hk_page_request *p, hk_error *err)
{
    hk_status st = check_page_shape(p, err);
    if (st)
        return st;
    const char *cursor = p->after ? p->after : p->before;
    if (cursor && strlen(cursor) >= HK_ID_MAX)
        return hk_error_field(err, HK_EINVAL, NULL, p->after ? "after" : "before",
                              HK_FIELD_VALIDATION, "not a valid cursor");
    return HK_OK;
}

static bool is_backward(const hk_page_request *p)
{
    return p->last >= 0 || p->before;
}

static size_t page_size(const hk_page_request *p)
{
    int n = is_backward(p) ? p->last : p->first;
    return n < 0 ? HK_PAGE_DEFAULT : (size_t)n;
}

/* Rows come back nearest-first; a backward page is put in list order. */
static void reverse(void *rows, size_t n, size_t size, hk_arena *a)
{
    char *tmp = hk_arena_alloc(a, size);
    char *base = rows;
    for (size_t i = 0; tmp && i < n / 2; i++) {
        memcpy(tmp, base + i * size, size);
        memcpy(base + i * size, base + (n - 1 - i) * size, size);
        memcpy(base + (n - 1 - i) * size, tmp, size);
    }
}

hk_status domain_list_run(const store_tx *tx, domain_list_job *j, size_t row_size)
{
    const hk_page_request *pg = j->page;
    bool backward = is_backward(pg);
    size_t want = page_size(pg);
    store_page sp = {backward ? pg->before : pg->after, false, !backward, want + 1};
    void *rows;
    size_t got;
    hk_status st = j->fetch(tx, j->arg, &sp, &rows, &got);
    if (st)
        return st;
    bool more = got > want;
    if (more)
        got = want;
    /* Is there anything on the other side of the cursor (the cursor row included)? */
    bool other = false;
    if (sp.cursor) {
        store_page op = {sp.cursor, true, backward, 1};
        void *orows;
        size_t on;
        st = j->fetch(tx, j->arg, &op, &orows, &on);
        if (st)
            return st;
        other = on > 0;
    }
    if (backward)
        reverse(rows, got, row_size, j->arena);
    j->info->has_next_page = backward ? other : more;
    j->info->has_previous_page = backward ? more : other;
    j->info->start_cursor = got ? j->row_id(rows, 0) : NULL;
    j->info->end_cursor = got ? j->row_id(rows, got - 1) : NULL;
    j->info->total_count = -1;
    if (j->want_total)
        st = j->count(tx, j->arg, &j->info->total_count);
    *j->rows = rows;
    *j->n = got;
    return st;
}

/* ---- customers ---- */

typedef struct customer_args {
    const hk_ctx *ctx;
    store_customer_filter filter;
    hk_arena *arena;
} customer_args;

static hk_status customers_fetch(const store_tx *tx, void *arg, const store_page *p, void **rows,
                                 size_t *n)
{
    customer_args *c = arg;
    hk_customer *list;
    hk_status st =
        tx->ops->customer_page(tx->conn, c->ctx->workspace_id, &c->filter, p, c->arena, &list, n);
    *rows = list;
    return st;
}

static hk_status customers_count(const store_tx *tx, void *arg, int64_t *n)
{
    customer_args *c = arg;
    return tx->ops->customer_count(tx->conn, c->ctx->workspace_id, &c->filter, n);
}

static const char *customer_row_id(const void *rows, size_t i)
{
    return ((const hk_customer *)rows)[i].id;
}

static hk_status customers_tx(const store_tx *tx, void *arg, hk_error *err)
{
    hk_status st = domain_list_run(tx, arg, sizeof(hk_customer));
    return st ? domain_store_error(err, st, "listing customers") : HK_OK;
}

/* What every customer list checks before the store: permissions and list
 * sizes. */
static hk_status check_customer_list(const hk_ctx *ctx, const hk_customer_filter *filter,
                                     hk_error *err)
{
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_READ, err);
    /* a group filter lists a group's members: that is reading memberships */
    if (!st && (filter->n_group_ids > 0 || filter->n_group_keys > 0))
        st = hk_membership_read_check(ctx, err);
    /* one SQL parameter per item: bounded before the store sees them */
    if (!st)
        st = hk_validate_list_size("filters.customerGroupIds", filter->n_group_ids, err);
    if (!st)
        st = hk_validate_list_size("filters.customerGroupKeys", filter->n_group_keys, err);
    return st;
}

static store_customer_filter store_filter(const hk_customer_filter *f)
{
    return (store_customer_filter){
        .marked_as_spam = f->marked_as_spam,
        .n_group_ids = f->n_group_ids,
        .group_ids = f->group_ids,
        .n_group_keys = f->n_group_keys,
        .group_keys = f->group_keys,
        .has_updated_from = f->has_updated_from,
        .has_updated_until = f->has_updated_until,
        .updated_from = f->updated_from,
        .updated_until = f->updated_until,
        .match_none = f->match_none,
    };
}

hk_status hk_customer_list(const hk_ctx *ctx, const hk_customer_filter *filter,
                           const hk_page_request *page, bool want_total, hk_arena *arena,
                           hk_customer **out, size_t *n, hk_page_info *info, hk_error *err)
{
    *out = NULL;
    *n = 0;
    memset(info, 0, sizeof *info);
    hk_error_clear(err);
    hk_status st = check_customer_list(ctx, filter, err);
    if (!st)
        st = hk_page_check(page, err);
    if (st)
        return st;
    customer_args args = {ctx, store_filter(filter), arena};
    domain_list_job j = {ctx,
                         page,
                         arena,
                         customers_fetch,
                         customer_row_id,
                         customers_count,
                         &args,
                         want_total,
                         (void **)out,
                         n,
                         info};
    return store_read(ctx->store, customers_tx, &j, err);
}

/* ---- customers by full name ---- */

/*
 * The cursor of a row of a list sorted by name: its position in any such
 * list, "fn1." + id + "." + base64url(full name). A position rather than an
 * id, so that a page after it is still right once that customer is renamed
 * (the id alone would jump to its new place) or deleted (nothing to look up).
 * Opaque to clients; "fn1" versions the format.
 */
#define NAME_CURSOR_PREFIX "fn1."
/* The longest full name in bytes: 500 characters of up to 4 bytes. */
#define NAME_MAX_BYTES (HK_NAME_MAX_CHARS * 4)

static const char *name_cursor(hk_arena *a, const hk_customer *c)
{
    size_t nl = strlen(c->full_name);
    size_t cap = sizeof NAME_CURSOR_PREFIX + strlen(c->id) + 1 + 4 * ((nl + 2) / 3) + 1;
    char *s = hk_arena_alloc(a, cap);
    if (!s)
        return NULL;
    int k = snprintf(s, cap, NAME_CURSOR_PREFIX "%s.", c->id);
    hk_base64url_encode(c->full_name, nl, s + k);
    return s;
}

/* A position decoded from a cursor (arena strings). */
typedef struct name_position {
    const char *id;
    const char *name;
} name_position;

static hk_status parse_name_cursor(const char *field, const char *cursor, hk_arena *a,
                                   name_position *pos, hk_error *err)
{
    const size_t plen = sizeof NAME_CURSOR_PREFIX - 1;
    size_t len = strlen(cursor);
    bool ok = len > plen && strncmp(cursor, NAME_CURSOR_PREFIX, plen) == 0;
    const char *id = cursor + plen;
    const char *dot = ok ? strchr(id, '.') : NULL;
    ok = dot && hk_id_is_kind(id, (size_t)(dot - id), HK_ID_CUSTOMER);
    size_t b64 = ok ? len - (size_t)(dot + 1 - cursor) : 0;
    ok = ok && b64 > 0 && b64 <= 4 * ((NAME_MAX_BYTES + 2) / 3);
    char *name = ok ? hk_arena_alloc(a, b64 * 3 / 4 + 1) : NULL;
    char *id_copy = ok ? hk_arena_alloc(a, (size_t)(dot - id) + 1) : NULL;
    if (ok && (!name || !id_copy))
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    size_t nl = 0;
    ok = ok && hk_base64url_decode(dot + 1, b64, name, &nl) && hk_utf8_valid(name, nl) &&
         hk_utf8_count(name, nl) <= HK_NAME_MAX_CHARS;
    if (!ok)
        return hk_error_field(err, HK_EINVAL, NULL, field, HK_FIELD_VALIDATION,
                              "%s is not a cursor of customers sorted by FULL_NAME: pass a"
                              " cursor from a page of this sorted list",
                              field);
    name[nl] = '\0';
    memcpy(id_copy, id, (size_t)(dot - id));
    id_copy[dot - id] = '\0';
    pos->id = id_copy;
    pos->name = name;
    return HK_OK;
}

typedef struct name_args {
    customer_args base; /* first: customers_count takes a name_args as its customer_args */
    bool descending;
    name_position pos; /* the page's cursor, decoded */
} name_args;

static hk_status by_name_fetch(const store_tx *tx, void *arg, const store_page *p, void **rows,
                               size_t *n)
{
    name_args *c = arg;
    /* the page's cursor is the encoded one: the store takes the position */
    store_page sp = *p;
    sp.cursor = p->cursor ? c->pos.id : NULL;
    hk_customer *list;
    hk_status st =
        tx->ops->customer_page_by_name(tx->conn, c->base.ctx->workspace_id, &c->base.filter,
                                       c->descending, c->pos.name, &sp, c->base.arena, &list, n);
    *rows = list;
    return st;
}

hk_status hk_customer_list_sorted(const hk_ctx *ctx, const hk_customer_filter *filter,
                                  hk_customer_sort sort, const hk_page_request *page,
                                  bool want_total, hk_arena *arena, hk_customer **out, size_t *n,
                                  hk_page_info *info, hk_error *err)
{
    if (sort != HK_CUSTOMER_SORT_FULL_NAME_ASC && sort != HK_CUSTOMER_SORT_FULL_NAME_DESC)
        return hk_customer_list(ctx, filter, page, want_total, arena, out, n, info, err);
    *out = NULL;
    *n = 0;
    memset(info, 0, sizeof *info);
    hk_error_clear(err);
    name_args args = {.base = {ctx, store_filter(filter), arena},
                      .descending = sort == HK_CUSTOMER_SORT_FULL_NAME_DESC};
    hk_status st = check_customer_list(ctx, filter, err);
    /* the cursors are positions, not ids: checked by decoding them */
    if (!st)
        st = check_page_shape(page, err);
    if (!st && (page->after || page->before))
        st = parse_name_cursor(page->after ? "after" : "before",
                               page->after ? page->after : page->before, arena, &args.pos, err);
    if (st)
        return st;
    domain_list_job j = {.ctx = ctx,
                         .page = page,
                         .arena = arena,
                         .fetch = by_name_fetch,
                         .row_id = customer_row_id,
                         .count = customers_count,
                         .arg = &args,
                         .want_total = want_total,
                         .rows = (void **)out,
                         .n = n,
                         .info = info};
    st = store_read(ctx->store, customers_tx, &j, err);
    if (st || *n == 0)
        return st;
    const char **cursors = hk_arena_calloc(arena, *n, sizeof *cursors);
    for (size_t i = 0; cursors && i < *n; i++)
        if (!(cursors[i] = name_cursor(arena, &(*out)[i])))
            cursors = NULL;
    if (!cursors) {
        *out = NULL;
        *n = 0;
        memset(info, 0, sizeof *info);
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory");
    }
    info->cursors = cursors;
    info->start_cursor = cursors[0];
    info->end_cursor = cursors[*n - 1];
    return HK_OK;
}

/* ---- groups ---- */

typedef struct group_args {
    const hk_ctx *ctx;
    hk_arena *arena;
} group_args;

static hk_status groups_fetch(const store_tx *tx, void *arg, const store_page *p, void **rows,
                              size_t *n)
{
    group_args *g = arg;
    hk_customer_group *list;
    hk_status st = tx->ops->group_page(tx->conn, g->ctx->workspace_id, p, g->arena, &list, n);
    *rows = list;
    return st;
}

static hk_status groups_count(const store_tx *tx, void *arg, int64_t *n)
{
    group_args *g = arg;
    return tx->ops->group_count(tx->conn, g->ctx->workspace_id, n);
}

static const char *group_row_id(const void *rows, size_t i)
{
    return ((const hk_customer_group *)rows)[i].id;
}

static hk_status groups_tx(const store_tx *tx, void *arg, hk_error *err)
{
    hk_status st = domain_list_run(tx, arg, sizeof(hk_customer_group));
    return st ? domain_store_error(err, st, "listing customer groups") : HK_OK;
}

hk_status hk_group_list(const hk_ctx *ctx, const hk_page_request *page, bool want_total,
                        hk_arena *arena, hk_customer_group **out, size_t *n, hk_page_info *info,
                        hk_error *err)
{
    *out = NULL;
    *n = 0;
    memset(info, 0, sizeof *info);
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_GROUP_READ, err);
    if (!st)
        st = hk_page_check(page, err);
    if (st)
        return st;
    group_args args = {ctx, arena};
    domain_list_job j = {ctx,          page,  arena,      groups_fetch, group_row_id,
                         groups_count, &args, want_total, (void **)out, n,
                         info};
    return store_read(ctx->store, groups_tx, &j, err);
}

/* ---- in memory ---- */

static size_t index_of(const char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return i;
    return n;
}

hk_status hk_page_slice(const hk_page_request *page, const char *const *ids, size_t n, size_t *from,
                        size_t *count, hk_page_info *info, hk_error *err)
{
    *from = 0;
    *count = 0;
    memset(info, 0, sizeof *info);
    info->total_count = (int64_t)n;
    hk_status st = hk_page_check(page, err);
    if (st)
        return st;
    size_t want = page_size(page);
    size_t lo = 0, hi = n; /* the window [lo, hi) the cursor leaves */
    if (page->after) {
        size_t i = index_of(ids, n, page->after);
        lo = i < n ? i + 1 : n;
    }
    if (page->before) {
        size_t i = index_of(ids, n, page->before);
        hi = i < n ? i : 0;
    }
    if (lo > hi)
        lo = hi;
    size_t avail = hi - lo;
    size_t take = avail < want ? avail : want;
    *from = is_backward(page) ? hi - take : lo;
    *count = take;
    info->has_next_page = *from + take < n && (!is_backward(page) ? take < avail : true);
    info->has_previous_page = *from > 0 && (is_backward(page) ? take < avail : true);
    info->start_cursor = take ? ids[*from] : NULL;
    info->end_cursor = take ? ids[*from + take - 1] : NULL;
    return HK_OK;
}
