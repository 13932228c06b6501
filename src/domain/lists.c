/*
 * lists.c - Relay-style pagination over customers and groups (SPEC §6):
 * default 25, at most 100, first/after and last/before never mixed. The
 * cursor of a row is its id; ids are time-ordered, so pages are stable while
 * rows are added.
 */
#include <string.h>

#include "domain/domain_int.h"

hk_status hk_page_check(const hk_page_request *p, hk_error *err)
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

hk_status hk_customer_list(const hk_ctx *ctx, const hk_customer_filter *filter,
                           const hk_page_request *page, bool want_total, hk_arena *arena,
                           hk_customer **out, size_t *n, hk_page_info *info, hk_error *err)
{
    *out = NULL;
    *n = 0;
    memset(info, 0, sizeof *info);
    hk_error_clear(err);
    hk_status st = domain_require(ctx, HK_PERM_CUSTOMER_READ, err);
    /* a group filter lists a group's members: that is reading memberships */
    if (!st && (filter->n_group_ids > 0 || filter->n_group_keys > 0))
        st = hk_membership_read_check(ctx, err);
    /* one SQL parameter per item: bounded before the store sees them */
    if (!st)
        st = hk_validate_list_size("filters.customerGroupIds", filter->n_group_ids, err);
    if (!st)
        st = hk_validate_list_size("filters.customerGroupKeys", filter->n_group_keys, err);
    if (!st)
        st = hk_page_check(page, err);
    if (st)
        return st;
    customer_args args = {ctx,
                          {filter->marked_as_spam, filter->n_group_ids, filter->group_ids,
                           filter->n_group_keys, filter->group_keys},
                          arena};
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
