/*
 * render_samples - prints webhook bodies, one compact JSON body per line, for
 * every event type hookd fires times every supported webhook version.
 *
 * tests/compat/test_webhook_schemas.sh pipes this into validate_bodies.mjs,
 * which checks each body against Plain's JSON Schema of its version. The
 * customers are chosen to reach every branch of the renderer: with and
 * without externalId and shortName, verified email, spam-marked by a machine
 * user, 0/1/2 group memberships, every actor shape the schema allows there,
 * and names that need escaping or are multi-byte UTF-8.
 *
 * Ids come from hk_id_new, so they are fresh on every run and follow Plain's
 * id pattern; times are fixed, so only the ids differ between runs and the
 * order of the lines never does (events in the order below, each followed by
 * its body for every version, oldest version first).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/catalog.h"
#include "domain/model.h"
#include "json/webhook_body.h"

/* 2024-01-01T00:00:00.000Z; every time below is an offset from it. */
#define T0 INT64_C(1704067200000)
#define MINUTE INT64_C(60000)

static void die(const char *what, hk_status st)
{
    fprintf(stderr, "render_samples: %s: %s\n", what, hk_status_str(st));
    exit(1);
}

static void new_id(hk_id_kind kind, char out[HK_ID_MAX])
{
    hk_status st = hk_id_new(kind, out);
    if (st)
        die("hk_id_new", st);
}

static hk_actor actor(hk_actor_type type, const char *id)
{
    hk_actor a = {.type = type};
    snprintf(a.id, sizeof a.id, "%s", id);
    return a;
}

/* The people and groups every sample shares. */
typedef struct world {
    char workspace[HK_ID_MAX];
    hk_actor machine_user;
    hk_actor user;
    hk_actor inbound; /* the system actor Plain's examples show */
    hk_customer_group free_tier;
    hk_customer_group enterprise;
} world;

static void make_group(world *w, hk_customer_group *g, const char *name, const char *key,
                       const char *color, int64_t at, hk_actor by)
{
    memset(g, 0, sizeof *g);
    new_id(HK_ID_CUSTOMER_GROUP, g->id);
    memcpy(g->workspace_id, w->workspace, HK_ID_MAX);
    g->name = name;
    g->key = key;
    g->color = color;
    g->external_id = "crm-group-1"; /* must not show up in bodies */
    g->created_at = at;
    g->created_by = by;
    g->updated_at = at + MINUTE;
    g->updated_by = w->user;
}

static void make_world(world *w)
{
    char id[HK_ID_MAX];
    new_id(HK_ID_WORKSPACE, w->workspace);
    new_id(HK_ID_MACHINE_USER, id);
    w->machine_user = actor(HK_ACTOR_MACHINE_USER, id);
    new_id(HK_ID_USER, id);
    w->user = actor(HK_ACTOR_USER, id);
    w->inbound = actor(HK_ACTOR_SYSTEM, "email_inbound_handler");
    make_group(w, &w->free_tier, "Free Tier", "free-tier", "#D66258", T0, w->user);
    make_group(w, &w->enterprise, "Enterprise \"Gold\" \\ 企業 🏆", "enterprise", "#abc",
               T0 + MINUTE, w->machine_user);
}

static hk_membership membership(const world *w, const hk_customer *c, const hk_customer_group *g,
                                int64_t at, hk_actor by)
{
    hk_membership m = {0};
    memcpy(m.customer_id, c->id, HK_ID_MAX);
    memcpy(m.customer_group_id, g->id, HK_ID_MAX);
    memcpy(m.workspace_id, w->workspace, HK_ID_MAX);
    m.created_at = at;
    m.created_by = by;
    m.updated_at = at;
    m.updated_by = by;
    m.group = *g;
    return m;
}

static hk_customer base_customer(const world *w, const char *email, const char *full_name,
                                 int64_t at, hk_actor by)
{
    hk_customer c = {0};
    new_id(HK_ID_CUSTOMER, c.id);
    memcpy(c.workspace_id, w->workspace, HK_ID_MAX);
    c.email = email;
    c.email_verified_at = HK_TIME_NONE;
    c.full_name = full_name;
    c.marked_as_spam_at = HK_TIME_NONE;
    c.created_at = at;
    c.created_by = by;
    c.updated_at = at;
    c.updated_by = by;
    return c;
}

static void touch(hk_customer *c, int64_t at, hk_actor by)
{
    c->updated_at = at;
    c->updated_by = by;
}

typedef struct sample {
    hk_event_type type;
    hk_change_type change;
    const hk_customer *customer;
    const hk_customer *previous;
} sample;

/* Everything the samples point into; lives for the whole run. */
typedef struct cast {
    world w;
    /* Ada: created by a machine user, then renamed, then joins groups. */
    hk_customer ada, ada_renamed, ada_one, ada_two, ada_back_to_one;
    hk_membership ada_one_m[1], ada_two_m[2], ada_back_m[1];
    /* Zoë: verified email, hard name, created by herself, spam-marked. */
    hk_customer zoe, zoe_spam, zoe_unspam;
    /* Peter: created by the inbound email handler, as in Plain's examples. */
    hk_customer peter;
} cast;

static void make_ada(cast *k)
{
    world *w = &k->w;
    k->ada = base_customer(w, "ada@example.com", "Ada Lovelace", T0 + 10 * MINUTE, w->machine_user);
    k->ada_renamed = k->ada;
    k->ada_renamed.full_name = "Ada King, Countess of Lovelace";
    k->ada_renamed.short_name = "Ada";
    k->ada_renamed.external_id = "crm-1815";
    touch(&k->ada_renamed, T0 + 11 * MINUTE, w->machine_user);

    k->ada_one = k->ada_renamed;
    k->ada_one_m[0] = membership(w, &k->ada, &w->free_tier, T0 + 12 * MINUTE, w->machine_user);
    k->ada_one.n_memberships = 1;
    k->ada_one.memberships = k->ada_one_m;

    k->ada_two = k->ada_one;
    k->ada_two_m[0] = k->ada_one_m[0];
    k->ada_two_m[1] = membership(w, &k->ada, &w->enterprise, T0 + 13 * MINUTE, w->user);
    k->ada_two.n_memberships = 2;
    k->ada_two.memberships = k->ada_two_m;

    k->ada_back_to_one = k->ada_two;
    k->ada_back_m[0] = k->ada_two_m[1];
    k->ada_back_to_one.n_memberships = 1;
    k->ada_back_to_one.memberships = k->ada_back_m;
}

static void make_zoe(cast *k)
{
    world *w = &k->w;
    k->zoe = base_customer(w, "zoe.o'brien+test@example.co.uk",
                           "Zoë \"Z\" O'Brien \\ 日本語\nsecond line\t😀", T0 + 20 * MINUTE,
                           w->machine_user);
    /* A customer may appear as the actor of her own record (not of spam or
     * memberships, where the schema allows internal actors only). */
    k->zoe.created_by = actor(HK_ACTOR_CUSTOMER, k->zoe.id);
    k->zoe.updated_by = k->zoe.created_by;
    k->zoe.external_id = "ext/\"42\"\\";
    k->zoe.short_name = "Zoë 😀";
    k->zoe.email_verified = true;
    k->zoe.email_verified_at = T0 + 20 * MINUTE;

    k->zoe_spam = k->zoe;
    k->zoe_spam.marked_as_spam_at = T0 + 21 * MINUTE;
    k->zoe_spam.marked_as_spam_by = w->machine_user;
    touch(&k->zoe_spam, T0 + 21 * MINUTE, w->machine_user);

    k->zoe_unspam = k->zoe;
    touch(&k->zoe_unspam, T0 + 22 * MINUTE, w->machine_user);
}

static void make_cast(cast *k)
{
    make_world(&k->w);
    make_ada(k);
    make_zoe(k);
    k->peter =
        base_customer(&k->w, "peter@example.com", "Peter Santos", T0 + 30 * MINUTE, k->w.inbound);
    k->peter.short_name = "Peter";
    touch(&k->peter, T0 + 31 * MINUTE, k->w.user);
}

static size_t make_samples(const cast *k, sample *out, size_t cap)
{
    const sample s[] = {
        {HK_EVENT_CUSTOMER_CREATED, HK_CHANGE_NONE, &k->ada, NULL},
        {HK_EVENT_CUSTOMER_CREATED, HK_CHANGE_NONE, &k->zoe, NULL},
        {HK_EVENT_CUSTOMER_CREATED, HK_CHANGE_NONE, &k->peter, NULL},
        {HK_EVENT_CUSTOMER_UPDATED, HK_CHANGE_NONE, &k->ada_renamed, &k->ada},
        {HK_EVENT_CUSTOMER_UPDATED, HK_CHANGE_NONE, &k->zoe_spam, &k->zoe},
        {HK_EVENT_CUSTOMER_UPDATED, HK_CHANGE_NONE, &k->zoe_unspam, &k->zoe_spam},
        {HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED, HK_CHANGE_ADDED, &k->ada_one,
         &k->ada_renamed},
        {HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED, HK_CHANGE_ADDED, &k->ada_two, &k->ada_one},
        {HK_EVENT_CUSTOMER_GROUP_MEMBERSHIPS_CHANGED, HK_CHANGE_REMOVED, &k->ada_back_to_one,
         &k->ada_two},
        {HK_EVENT_CUSTOMER_DELETED, HK_CHANGE_NONE, NULL, &k->ada_two},
        {HK_EVENT_CUSTOMER_DELETED, HK_CHANGE_NONE, NULL, &k->zoe_spam},
        {HK_EVENT_CUSTOMER_DELETED, HK_CHANGE_NONE, NULL, &k->peter},
    };
    size_t n = sizeof s / sizeof s[0];
    if (n > cap)
        die("make_samples", HK_ETOOBIG);
    memcpy(out, s, sizeof s);
    return n;
}

/* One target per version, as a workspace with a target of each would have. */
static void make_targets(char (*targets)[HK_ID_MAX])
{
    for (size_t v = 0; v < hk_webhook_version_count; v++)
        new_id(HK_ID_WEBHOOK_TARGET, targets[v]);
}

static void make_template(const world *w, const sample *s, int64_t at, webhook_body_template *tpl)
{
    hk_buf payload;
    hk_buf_init(&payload, 0);
    hk_status st = webhook_render_payload(&payload, s->type, s->change, s->customer, s->previous);
    if (st)
        die("webhook_render_payload", st);
    hk_event ev = {.type = s->type, .timestamp = at};
    new_id(HK_ID_EVENT, ev.id);
    memcpy(ev.workspace_id, w->workspace, HK_ID_MAX);
    ev.payload_json = payload.data;
    ev.payload_len = payload.len;
    st = webhook_body_template_init(tpl, &ev);
    hk_buf_free(&payload);
    if (st)
        die("webhook_body_template_init", st);
}

static void print_body(hk_buf *body, const webhook_body_template *tpl, const char *target,
                       const char *version, uint32_t attempt, int64_t at)
{
    webhook_attempt_meta m = {target, version, NULL, attempt, at};
    char attempt_id[HK_ID_MAX];
    new_id(HK_ID_ATTEMPT, attempt_id);
    m.attempt_id = attempt_id;
    hk_buf_reset(body);
    hk_status st = webhook_body_assemble(body, tpl, &m);
    if (st)
        die("webhook_body_assemble", st);
    hk_buf_putc(body, '\n');
    fwrite(body->data, 1, body->len, stdout);
}

int main(void)
{
    static cast k;
    sample samples[32];
    char(*targets)[HK_ID_MAX] = calloc(hk_webhook_version_count, HK_ID_MAX);
    if (hk_webhook_version_count == 0)
        die("webhook versions", HK_EINTERNAL);
    if (!targets)
        die("targets", HK_ENOMEM);
    make_cast(&k);
    make_targets(targets);
    size_t n = make_samples(&k, samples, sizeof samples / sizeof samples[0]);

    unsigned covered = 0;
    hk_buf body;
    hk_buf_init(&body, 0);
    for (size_t i = 0; i < n; i++) {
        int64_t at = T0 + 60 * MINUTE + (int64_t)i * MINUTE;
        webhook_body_template tpl;
        make_template(&k.w, &samples[i], at, &tpl);
        for (size_t v = 0; v < hk_webhook_version_count; v++) {
            uint32_t attempt = (uint32_t)((i + v) % 13 + 1); /* 1..13, Plain's range */
            print_body(&body, &tpl, targets[v], hk_webhook_versions[v].version, attempt,
                       at + 1234 + (int64_t)attempt * 10000);
        }
        webhook_body_template_free(&tpl);
        covered |= 1u << samples[i].type;
    }
    hk_buf_free(&body);
    free(targets);

    if (covered != (1u << HK_EVENT_TYPE_COUNT) - 1) {
        fprintf(stderr, "render_samples: not every event type has a sample\n");
        return 1;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("render_samples: stdout");
        return 1;
    }
    return 0;
}
