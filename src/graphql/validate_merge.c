/*
 * validate_merge.c - OverlappingFieldsCanBeMerged (spec §5.3.2), as
 * graphql-js 16 implements it: fields answering to the same response key
 * anywhere in a selection set (its fragments and inline fragments
 * included) must be the same field with the same arguments unless their
 * parents are different object types, must not return conflicting types,
 * and their sub-selections must merge in turn.
 *
 * Naively this is exponential in fragments spread within fragments. As in
 * graphql-js, the fields collected from a selection set are computed once
 * per (parent type, selection set); a fragment is compared with a set of
 * fields once, two fragments once, two sets of fields' overlap once, two
 * fields once; and every comparison spends from a budget (500,000 units,
 * graphql-js's MAX_COMPLEXITY_BUDGET). Past it, or past MAX_RECURSION nested
 * comparisons, validation stops with "Validation aborted.", so a document
 * costs at most a bounded amount of work whatever its shape.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/graphql_int.h"

#define COMPLEXITY_BUDGET 500000
#define MAX_RECURSION 1000
#define MAX_DETAIL 1000 /* graphql-js's MAX_CONFLICT_DETAIL_LENGTH */
#define MAX_NODES 20    /* graphql-js's MAX_CONFLICT_NODES */
/* Field pairs whose verdict is remembered: the memo saves time only when a
 * pair comes back through fragments, and unbounded it would hold one entry
 * per comparison the budget allows (megabytes of a request's arena). */
#define MAX_REMEMBERED ((size_t)1 << 14)

/* ------------------------------------------------------------ pair map */

/* Open addressing over two pointers; tables grow in the arena. */
typedef struct pm_entry {
    const void *a, *b;
    void *v;
} pm_entry;

typedef struct pair_map {
    pm_entry *e;
    size_t cap, n;
} pair_map;

static size_t pm_hash(const void *a, const void *b)
{
    uint64_t h = (uint64_t)(uintptr_t)a * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)(uintptr_t)b + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
    return (size_t)(h ^ (h >> 29));
}

static pm_entry *pm_slot(const pair_map *m, const void *a, const void *b)
{
    for (size_t i = pm_hash(a, b) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
        if (!m->e[i].a || (m->e[i].a == a && m->e[i].b == b))
            return &m->e[i];
}

/* The value under (a, b) (a non-NULL), or NULL. */
static void *pm_get(const pair_map *m, const void *a, const void *b)
{
    if (!m->cap)
        return NULL;
    pm_entry *e = pm_slot(m, a, b);
    return e->a ? e->v : NULL;
}

static bool pm_put(pair_map *m, hk_arena *ar, const void *a, const void *b, void *v)
{
    if ((m->n + 1) * 2 > m->cap) {
        pair_map g = {hk_arena_calloc(ar, m->cap ? m->cap * 2 : 64, sizeof(pm_entry)),
                      m->cap ? m->cap * 2 : 64, m->n};
        if (!g.e)
            return false;
        for (size_t i = 0; i < m->cap; i++)
            if (m->e[i].a)
                *pm_slot(&g, m->e[i].a, m->e[i].b) = m->e[i];
        *m = g;
    }
    pm_entry *e = pm_slot(m, a, b);
    if (!e->a)
        m->n++;
    e->a = a;
    e->b = b;
    e->v = v;
    return true;
}

/* ------------------------------------------------------------- model */

typedef struct fdetail {
    const gql_type *parent; /* as collected: may be NULL or not composite */
    const ast_sel *node;
    const gql_field_def *def; /* NULL: unknown (or a meta-field, as graphql-js) */
    bool simple_leaf;         /* no arguments, no selection */
} fdetail;

typedef struct fgroup {
    const char *key;
    gql_vec fields; /* fdetail * */
} fgroup;

/* graphql-js's collectFieldsResult. */
typedef struct cfr {
    gql_vec groups;        /* fgroup, in first-seen order */
    size_t *index;         /* open addressing on key: group index + 1 */
    size_t nindex;         /* a power of two */
    gql_vec frags;         /* size_t fragment indices, unique, in order */
    signed char *frag_cmp; /* per fragment: -1 not compared, else areMutuallyExclusive */
} cfr;

typedef struct conflict {
    const char *key;
    const char *reason;
    gql_vec nodes1, nodes2; /* const ast_sel * */
} conflict;

struct gql_merge {
    const gql_schema *s;
    const gql_document *doc;
    hk_arena *a;
    gql_errlist *errs;
    long budget;
    unsigned depth;
    bool aborted;
    hk_status st;
    pair_map cfrs;               /* (parent, set) -> cfr */
    pair_map overlaps;           /* (cfr1, cfr2) -> gql_vec of overlap */
    pair_map compared;           /* (field1, field2) -> reason or NO_CONFLICT */
    pair_map frag_pairs;         /* (fragment i+1, j+1), i < j -> PAIR_EXCLUSIVE / PAIR_SHARED */
    const gql_type **frag_types; /* per fragment: its type condition's type, may be NULL */
};

static char NO_CONFLICT_[1], PAIR_EXCLUSIVE_[1], PAIR_SHARED_[1];
#define NO_CONFLICT ((void *)NO_CONFLICT_)
#define PAIR_EXCLUSIVE ((void *)PAIR_EXCLUSIVE_)
#define PAIR_SHARED ((void *)PAIR_SHARED_)

typedef struct overlap {
    const char *key;
    const gql_vec *fields1, *fields2;
} overlap;

static void oom(gql_merge *m)
{
    m->st = HK_ENOMEM;
    m->aborted = true;
}

/* Spends from the budget; false once it is gone (validation aborts). */
static bool spend(gql_merge *m, long cost)
{
    if (m->aborted)
        return false;
    m->budget -= cost;
    if (m->budget < 0) {
        m->aborted = true;
        gql_errs_add(m->errs, GQL_CODE_VALIDATION_FAILED, NULL, NULL, "Validation aborted.");
        return false;
    }
    return true;
}

gql_merge *gql_merge_new(const gql_schema *s, const gql_document *doc, hk_arena *a,
                         gql_errlist *errs)
{
    gql_merge *m = hk_arena_calloc(a, 1, sizeof *m);
    if (!m)
        return NULL;
    m->s = s;
    m->doc = doc;
    m->a = a;
    m->errs = errs;
    m->budget = COMPLEXITY_BUDGET;
    m->frag_types = hk_arena_calloc(a, doc->nfrags + 1, sizeof *m->frag_types);
    if (!m->frag_types)
        return NULL;
    for (size_t i = 0; i < doc->nfrags; i++)
        m->frag_types[i] = gql_schema_type(s, doc->frags[i].type_cond);
    return m;
}

hk_status gql_merge_status(const gql_merge *m)
{
    return m->st;
}

/* ----------------------------------------------------------- collecting */

static size_t key_hash(const char *s)
{
    size_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static fgroup *group_find(const cfr *r, const char *key)
{
    if (!r->nindex)
        return NULL;
    for (size_t i = key_hash(key) & (r->nindex - 1);; i = (i + 1) & (r->nindex - 1)) {
        if (!r->index[i])
            return NULL;
        fgroup *g = (fgroup *)r->groups.items + r->index[i] - 1;
        if (strcmp(g->key, key) == 0)
            return g;
    }
}

static void add_field(gql_merge *m, cfr *r, const gql_type *parent, const ast_sel *s)
{
    const char *key = s->alias ? s->alias : s->name;
    fgroup *g = NULL;
    for (size_t i = 0; i < r->groups.n && !g; i++) /* small sets; indexed after */
        if (strcmp(((fgroup *)r->groups.items)[i].key, key) == 0)
            g = (fgroup *)r->groups.items + i;
    if (!g && !(g = gql_vec_push(&r->groups, sizeof *g, m->a))) {
        oom(m);
        return;
    }
    g->key = key;
    fdetail *d = hk_arena_calloc(m->a, 1, sizeof *d);
    fdetail **slot = gql_vec_push(&g->fields, sizeof *slot, m->a);
    if (!d || !slot) {
        oom(m);
        return;
    }
    d->parent = parent;
    d->node = s;
    if (parent && (parent->kind == GQL_T_OBJECT || parent->kind == GQL_T_INTERFACE))
        d->def = gql_type_field(parent, s->name);
    d->simple_leaf = s->nargs == 0 && !s->sel;
    *slot = d;
}

static void collect_impl(gql_merge *m, cfr *r, const gql_type *parent, const ast_selset *set,
                         int depth)
{
    for (size_t i = 0; set && i < set->n && !m->aborted && depth <= GQL_MAX_NESTING; i++) {
        const ast_sel *s = &set->items[i];
        if (s->kind == SEL_FIELD) {
            add_field(m, r, parent, s);
        } else if (s->kind == SEL_SPREAD) {
            size_t f = gql_doc_fragment_index(m->doc, s->name), k = 0;
            while (k < r->frags.n && ((size_t *)r->frags.items)[k] != f)
                k++;
            size_t *slot = k < r->frags.n ? NULL : gql_vec_push(&r->frags, sizeof *slot, m->a);
            if (slot)
                *slot = f; /* an unknown name is kept (as graphql-js), never found */
            else if (k == r->frags.n)
                oom(m);
        } else {
            const gql_type *t = s->type_cond ? gql_schema_type(m->s, s->type_cond) : parent;
            collect_impl(m, r, t, s->sel, depth + 1);
        }
    }
}

/* The fields of `set` on `parent`, computed once per pair. */
static cfr *collect(gql_merge *m, const gql_type *parent, const ast_selset *set)
{
    const void *pk = parent ? (const void *)parent : (const void *)m; /* non-NULL key */
    cfr *r = pm_get(&m->cfrs, pk, set);
    if (r || m->aborted)
        return r;
    if (!(r = hk_arena_calloc(m->a, 1, sizeof *r))) {
        oom(m);
        return NULL;
    }
    collect_impl(m, r, parent, set, 0);
    r->nindex = 4;
    while (r->nindex < r->groups.n * 2)
        r->nindex *= 2;
    r->index = hk_arena_calloc(m->a, r->nindex, sizeof *r->index);
    if (!r->index || !pm_put(&m->cfrs, m->a, pk, set, r)) {
        oom(m);
        return NULL;
    }
    for (size_t g = 0; g < r->groups.n; g++) {
        size_t i = key_hash(((fgroup *)r->groups.items)[g].key) & (r->nindex - 1);
        while (r->index[i])
            i = (i + 1) & (r->nindex - 1);
        r->index[i] = g + 1;
    }
    return r;
}

static cfr *collect_fragment(gql_merge *m, size_t f)
{
    return collect(m, m->frag_types[f], m->doc->frags[f].sel);
}

/* ----------------------------------------------------------- comparing */

static void within(gql_merge *m, gql_vec *out, cfr *r);
static void between(gql_merge *m, gql_vec *out, bool excl, cfr *r1, cfr *r2);
static void fields_and_fragment(gql_merge *m, gql_vec *out, bool excl, cfr *r, size_t f);
static void fragments(gql_merge *m, gql_vec *out, bool excl, size_t f1, size_t f2);

/* graphql-js's `type1 === type2` for field types: the same ref, or the same named type. */
static bool same_type(const gql_typeref *a, const gql_typeref *b)
{
    return a == b ||
           (a && b && a->kind == GQL_TR_NAMED && b->kind == GQL_TR_NAMED && a->type == b->type);
}

static bool types_conflict(gql_merge *m, const gql_typeref *t1, const gql_typeref *t2)
{
    if (same_type(t1, t2))
        return false;
    if (!spend(m, 1))
        return false;
    if (t1->kind == GQL_TR_LIST)
        return t2->kind == GQL_TR_LIST ? types_conflict(m, t1->of, t2->of) : true;
    if (t2->kind == GQL_TR_LIST)
        return true;
    if (t1->kind == GQL_TR_NONNULL)
        return t2->kind == GQL_TR_NONNULL ? types_conflict(m, t1->of, t2->of) : true;
    if (t2->kind == GQL_TR_NONNULL)
        return true;
    if (gql_type_is_leaf(t1->type) || gql_type_is_leaf(t2->type))
        return t1->type != t2->type;
    return false;
}

/* Literal equality as graphql-js compares JSON.stringify'd values: object
 * fields sorted by name (duplicates kept), strings with their block flag
 * ignored here (both print the same value). */
static bool lit_equal(const ast_value *a, const ast_value *b, int depth);

static int field_cmp(const void *x, const void *y)
{
    return strcmp(((const ast_objfield *)x)->name, ((const ast_objfield *)y)->name);
}

static bool objects_equal(const ast_value *a, const ast_value *b, int depth)
{
    ast_objfield fa[64], fb[64];
    if (a->n == 0)
        return true; /* b->n is equal */
    if (a->n > 64) { /* rare: compare in written order */
        for (size_t i = 0; i < a->n; i++)
            if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
                !lit_equal(a->fields[i].value, b->fields[i].value, depth + 1))
                return false;
        return true;
    }
    memcpy(fa, a->fields, a->n * sizeof *fa);
    memcpy(fb, b->fields, b->n * sizeof *fb);
    qsort(fa, a->n, sizeof *fa, field_cmp);
    qsort(fb, b->n, sizeof *fb, field_cmp);
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(fa[i].name, fb[i].name) != 0 || !lit_equal(fa[i].value, fb[i].value, depth + 1))
            return false;
    return true;
}

static bool lit_equal(const ast_value *a, const ast_value *b, int depth)
{
    if (a->kind != b->kind || a->n != b->n || depth > GQL_MAX_NESTING)
        return false;
    switch (a->kind) {
    case AV_BOOL:
        return a->b == b->b;
    case AV_NULL:
        return true;
    case AV_LIST:
        for (size_t i = 0; i < a->n; i++)
            if (!lit_equal(a->items[i], b->items[i], depth + 1))
                return false;
        return true;
    case AV_OBJECT:
        return objects_equal(a, b, depth);
    default:
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    }
}

static bool same_arguments(gql_merge *m, const ast_sel *f1, const ast_sel *f2)
{
    if (f1->nargs != f2->nargs)
        return false;
    for (size_t i = 0; i < f1->nargs; i++) {
        const ast_value *v2 = NULL;
        if (!spend(m, 1))
            return true;
        /* graphql-js keeps the last argument of a name (a Map): so do we. */
        for (size_t k = 0; k < f2->nargs; k++)
            if (strcmp(f1->args[i].name, f2->args[k].name) == 0)
                v2 = f2->args[k].value;
        if (!v2 || !lit_equal(f1->args[i].value, v2, 0))
            return false;
    }
    return true;
}

static const char *abbreviate(gql_merge *m, const char *text)
{
    if (strlen(text) <= MAX_DETAIL)
        return text;
    const char *s = hk_arena_sprintf(m->a, "%.*s...", MAX_DETAIL, text);
    if (!s)
        oom(m);
    return s ? s : text;
}

static void push_conflict(gql_merge *m, gql_vec *out, const char *key, const char *reason,
                          const ast_sel *n1, const ast_sel *n2)
{
    conflict *c = gql_vec_push(out, sizeof *c, m->a);
    const ast_sel **a = c ? gql_vec_push(&c->nodes1, sizeof *a, m->a) : NULL;
    const ast_sel **b = c ? gql_vec_push(&c->nodes2, sizeof *b, m->a) : NULL;
    if (!c || !a || !b || !reason) {
        oom(m);
        return;
    }
    c->key = key;
    c->reason = reason;
    *a = n1;
    *b = n2;
}

/* [node] + the tail of each sub-conflict's side, at most MAX_NODES. */
static bool side_nodes(gql_merge *m, gql_vec *out, const ast_sel *node, const gql_vec *subs,
                       bool first)
{
    const ast_sel **slot = gql_vec_push(out, sizeof *slot, m->a);
    if (!slot)
        return false;
    *slot = node;
    for (size_t i = 0; i < subs->n && out->n < MAX_NODES; i++) {
        const conflict *c = (const conflict *)subs->items + i;
        const gql_vec *side = first ? &c->nodes1 : &c->nodes2;
        size_t take = MAX_NODES - out->n < side->n ? MAX_NODES - out->n : side->n;
        for (size_t k = side->n - take; k < side->n; k++) {
            if (!(slot = gql_vec_push(out, sizeof *slot, m->a)))
                return false;
            *slot = ((const ast_sel *const *)side->items)[k];
        }
    }
    return true;
}

static void sub_conflicts(gql_merge *m, gql_vec *out, const char *key, const gql_vec *subs,
                          const ast_sel *n1, const ast_sel *n2)
{
    if (!subs->n)
        return;
    hk_buf b;
    hk_buf_init(&b, (size_t)64 << 10);
    for (size_t i = 0; i < subs->n; i++) {
        const conflict *c = (const conflict *)subs->items + i;
        (void)hk_buf_printf(&b, "%ssubfields \"%s\" conflict because %s", i ? " and " : "",
                            abbreviate(m, c->key), c->reason);
        if (b.len > MAX_DETAIL)
            break;
    }
    const char *msg = b.err ? NULL : hk_arena_strndup(m->a, b.data ? b.data : "", b.len);
    hk_buf_free(&b);
    conflict *c = msg ? gql_vec_push(out, sizeof *c, m->a) : NULL;
    if (!c || !side_nodes(m, &c->nodes1, n1, subs, true) ||
        !side_nodes(m, &c->nodes2, n2, subs, false)) {
        oom(m);
        return;
    }
    c->key = key;
    c->reason = abbreviate(m, msg);
}

static void sub_selections(gql_merge *m, gql_vec *out, bool excl, const gql_type *t1,
                           const ast_selset *s1, const gql_type *t2, const ast_selset *s2)
{
    cfr *r1 = collect(m, t1, s1), *r2 = collect(m, t2, s2);
    if (!r1 || !r2)
        return;
    between(m, out, excl, r1, r2);
    for (size_t i = 0; i < r2->frags.n && !m->aborted; i++)
        fields_and_fragment(m, out, excl, r1, ((size_t *)r2->frags.items)[i]);
    for (size_t i = 0; i < r1->frags.n && !m->aborted; i++)
        fields_and_fragment(m, out, excl, r2, ((size_t *)r1->frags.items)[i]);
    for (size_t i = 0; i < r1->frags.n && !m->aborted; i++)
        for (size_t k = 0; k < r2->frags.n && !m->aborted; k++)
            fragments(m, out, excl, ((size_t *)r1->frags.items)[i], ((size_t *)r2->frags.items)[k]);
}

static const gql_type *named_of(const fdetail *d)
{
    return d->def ? gql_typeref_named(d->def->type) : NULL;
}

/* graphql-js's findConflict. */
static void find_conflict(gql_merge *m, gql_vec *out, bool parents_excl, const char *key,
                          fdetail *d1, fdetail *d2)
{
    const gql_typeref *t1 = d1->def ? d1->def->type : NULL, *t2 = d2->def ? d2->def->type : NULL;
    bool excl =
        parents_excl || (d1->parent != d2->parent && d1->parent && d2->parent &&
                         d1->parent->kind == GQL_T_OBJECT && d2->parent->kind == GQL_T_OBJECT);
    if (!spend(m, 2))
        return;
    if (d1->simple_leaf && d2->simple_leaf && same_type(t1, t2) &&
        strcmp(d1->node->name, d2->node->name) == 0)
        return;
    if (!excl) {
        const char *reason = pm_get(&m->compared, d1, d2);
        if (!reason) {
            if (strcmp(d1->node->name, d2->node->name) != 0)
                reason =
                    hk_arena_sprintf(m->a, "\"%s\" and \"%s\" are different fields",
                                     abbreviate(m, d1->node->name), abbreviate(m, d2->node->name));
            else
                reason = same_arguments(m, d1->node, d2->node) ? NO_CONFLICT
                                                               : "they have differing arguments";
            if (!reason || (m->compared.n < MAX_REMEMBERED &&
                            !pm_put(&m->compared, m->a, d1, d2, (void *)reason))) {
                oom(m);
                return;
            }
        }
        if (m->aborted)
            return;
        if (reason != NO_CONFLICT)
            return push_conflict(m, out, key, reason, d1->node, d2->node);
    }
    if (t1 && t2 && types_conflict(m, t1, t2)) {
        const char *s1 = gql_typeref_str(t1, m->a), *s2 = gql_typeref_str(t2, m->a);
        const char *reason =
            s1 && s2
                ? hk_arena_sprintf(m->a, "they return conflicting types \"%s\" and \"%s\"", s1, s2)
                : NULL;
        return push_conflict(m, out, key, reason, d1->node, d2->node);
    }
    if (m->aborted || !d1->node->sel || !d2->node->sel)
        return;
    if (++m->depth > MAX_RECURSION) {
        m->budget = 0;
        spend(m, 1);
        return;
    }
    gql_vec subs = {0};
    sub_selections(m, &subs, excl, named_of(d1), d1->node->sel, named_of(d2), d2->node->sel);
    m->depth--;
    sub_conflicts(m, out, key, &subs, d1->node, d2->node);
}

static void within(gql_merge *m, gql_vec *out, cfr *r)
{
    for (size_t g = 0; g < r->groups.n && !m->aborted; g++) {
        fgroup *grp = (fgroup *)r->groups.items + g;
        fdetail **f = grp->fields.items;
        for (size_t i = 0; i < grp->fields.n && !m->aborted; i++)
            for (size_t k = i + 1; k < grp->fields.n && !m->aborted; k++)
                find_conflict(m, out, false, grp->key, f[i], f[k]);
    }
}

static const gql_vec *overlapping(gql_merge *m, cfr *r1, cfr *r2)
{
    gql_vec *list = pm_get(&m->overlaps, r1, r2);
    if (list)
        return list;
    if (!(list = hk_arena_calloc(m->a, 1, sizeof *list)))
        return oom(m), NULL;
    for (size_t g = 0; g < r1->groups.n; g++) {
        fgroup *g1 = (fgroup *)r1->groups.items + g;
        if (!spend(m, 1))
            return NULL;
        fgroup *g2 = group_find(r2, g1->key);
        overlap *o = g2 ? gql_vec_push(list, sizeof *o, m->a) : NULL;
        if (g2 && !o)
            return oom(m), NULL;
        if (o) {
            o->key = g1->key;
            o->fields1 = &g1->fields;
            o->fields2 = &g2->fields;
        }
    }
    if (!pm_put(&m->overlaps, m->a, r1, r2, list))
        return oom(m), NULL;
    return list;
}

static void between(gql_merge *m, gql_vec *out, bool excl, cfr *r1, cfr *r2)
{
    if (!r1->groups.n || !r2->groups.n)
        return;
    const gql_vec *list = overlapping(m, r1, r2);
    for (size_t i = 0; list && i < list->n && !m->aborted; i++) {
        const overlap *o = (const overlap *)list->items + i;
        fdetail **f1 = o->fields1->items, **f2 = o->fields2->items;
        for (size_t a = 0; a < o->fields1->n && !m->aborted; a++)
            for (size_t b = 0; b < o->fields2->n && !m->aborted; b++)
                find_conflict(m, out, excl, o->key, f1[a], f2[b]);
    }
}

static void fields_and_fragment(gql_merge *m, gql_vec *out, bool excl, cfr *r, size_t f)
{
    if (!spend(m, 1) || !r->groups.n)
        return;
    if (!r->frag_cmp) {
        r->frag_cmp = hk_arena_alloc(m->a, m->doc->nfrags + 1);
        if (!r->frag_cmp) {
            oom(m);
            return;
        }
        memset(r->frag_cmp, -1, m->doc->nfrags + 1);
    }
    /* Only a non-exclusive comparison can be reused for overlapping parents. */
    if (r->frag_cmp[f] == 0 || (excl && r->frag_cmp[f] == 1))
        return;
    r->frag_cmp[f] = excl;
    if (f >= m->doc->nfrags)
        return;
    cfr *r2 = collect_fragment(m, f);
    if (!r2 || r2 == r)
        return;
    if (++m->depth > MAX_RECURSION) {
        m->budget = 0;
        spend(m, 1);
        return;
    }
    between(m, out, excl, r, r2);
    for (size_t i = 0; i < r2->frags.n && !m->aborted; i++)
        fields_and_fragment(m, out, excl, r, ((size_t *)r2->frags.items)[i]);
    m->depth--;
}

static void fragments(gql_merge *m, gql_vec *out, bool excl, size_t f1, size_t f2)
{
    if (!spend(m, 2) || f1 == f2)
        return;
    size_t lo = (f1 < f2 ? f1 : f2) + 1, hi = (f1 < f2 ? f2 : f1) + 1;
    void *state = pm_get(&m->frag_pairs, (const void *)lo, (const void *)hi);
    /* graphql-js's PairSet: a shared comparison covers both kinds. */
    if (state == PAIR_SHARED || (state && excl))
        return;
    if (!pm_put(&m->frag_pairs, m->a, (const void *)lo, (const void *)hi,
                excl ? PAIR_EXCLUSIVE : PAIR_SHARED)) {
        oom(m);
        return;
    }
    if (f1 >= m->doc->nfrags || f2 >= m->doc->nfrags)
        return;
    cfr *r1 = collect_fragment(m, f1), *r2 = collect_fragment(m, f2);
    if (!r1 || !r2)
        return;
    if (++m->depth > MAX_RECURSION) {
        m->budget = 0;
        spend(m, 1);
        return;
    }
    between(m, out, excl, r1, r2);
    for (size_t i = 0; i < r2->frags.n && !m->aborted; i++)
        fragments(m, out, excl, f1, ((size_t *)r2->frags.items)[i]);
    for (size_t i = 0; i < r1->frags.n && !m->aborted; i++)
        fragments(m, out, excl, ((size_t *)r1->frags.items)[i], f2);
    m->depth--;
}

/* ---------------------------------------------------------------- entry */

static void report(gql_merge *m, const conflict *c)
{
    gql_loc locs[2 * MAX_NODES];
    size_t n = 0;
    for (size_t i = 0; i < c->nodes1.n && n < 2 * MAX_NODES; i++)
        locs[n++] = ((const ast_sel *const *)c->nodes1.items)[i]->loc;
    for (size_t i = 0; i < c->nodes2.n && n < 2 * MAX_NODES; i++)
        locs[n++] = ((const ast_sel *const *)c->nodes2.items)[i]->loc;
    gql_errs_add_locs(m->errs, GQL_CODE_VALIDATION_FAILED, locs, n,
                      "Fields \"%s\" conflict because %s. Use different aliases on the fields to "
                      "fetch both if this was intentional.",
                      abbreviate(m, c->key), c->reason);
}

void gql_merge_check(gql_merge *m, const gql_type *parent, const ast_selset *set)
{
    gql_vec out = {0};
    if (m->aborted)
        return;
    cfr *r = collect(m, parent, set);
    if (!r)
        return;
    within(m, &out, r);
    if (r->frags.n && (r->groups.n || r->frags.n > 1)) {
        const size_t *f = r->frags.items;
        for (size_t i = 0; i < r->frags.n && !m->aborted; i++) {
            fields_and_fragment(m, &out, false, r, f[i]);
            for (size_t k = i + 1; k < r->frags.n && !m->aborted; k++)
                fragments(m, &out, false, f[i], f[k]);
        }
    }
    for (size_t i = 0; i < out.n && m->st == HK_OK; i++)
        report(m, (const conflict *)out.items + i);
}
