/*
 * test_delivery_queues.c - the dispatcher's per-target slots (queues, trim,
 * ready list, duration average) and its body template cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "delivery/target_stats.h"
#include "delivery/targets.h"
#include "delivery/template_cache.h"

static delivery_job *job(int i)
{
    delivery_job *j = calloc(1, sizeof *j);
    snprintf(j->delivery.event_id, sizeof j->delivery.event_id, "pEv_%d", i);
    return j;
}

static int job_number(const delivery_job *j)
{
    return atoi(j->delivery.event_id + 4);
}

static void free_list(delivery_job *j)
{
    while (j) {
        delivery_job *next = j->next;
        free(j);
        j = next;
    }
}

static void test_slots_and_fifo(void **state)
{
    delivery_targets *t = delivery_targets_new();
    delivery_target *a = delivery_targets_get(t, "whTarget_A");
    delivery_target *b = delivery_targets_get(t, "whTarget_B");
    assert_non_null(a);
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(delivery_targets_get(t, "whTarget_A"), a);
    assert_string_equal(a->id, "whTarget_A");
    assert_int_equal(delivery_targets_count(t), 2);

    for (int i = 0; i < 5; i++)
        delivery_target_push(a, job(i));
    assert_int_equal(a->queued, 5);
    delivery_job *j = delivery_target_pop(a);
    assert_int_equal(job_number(j), 0);
    free(j);

    /* Trim keeps the oldest. */
    delivery_job *cut = delivery_target_trim(a, 2);
    assert_int_equal(a->queued, 2);
    assert_int_equal(job_number(cut), 3);
    assert_int_equal(job_number(cut->next), 4);
    assert_null(cut->next->next);
    free_list(cut);
    assert_null(delivery_target_trim(a, 2));
    delivery_target_push(a, job(9)); /* the tail is right after a trim */
    j = delivery_target_pop(a);
    assert_int_equal(job_number(j), 1);
    free(j);
    j = delivery_target_pop(a);
    assert_int_equal(job_number(j), 2);
    free(j);
    j = delivery_target_pop(a);
    assert_int_equal(job_number(j), 9);
    free(j);
    assert_null(delivery_target_pop(a));
    assert_int_equal(a->queued, 0);

    delivery_target_push(a, job(7));
    free_list(delivery_target_trim(a, 0));
    assert_int_equal(a->queued, 0);
    assert_null(delivery_target_pop(a));

    /* Idle slots go; busy ones stay. */
    b->in_flight = 1;
    delivery_targets_release_idle(t, b);
    delivery_targets_release_idle(t, a);
    assert_int_equal(delivery_targets_count(t), 1);
    b->in_flight = 0;
    delivery_targets_release_idle(t, b);
    assert_int_equal(delivery_targets_count(t), 0);
    delivery_targets_release_idle(t, NULL);
    delivery_targets_free(t);
}

static void test_ready_list(void **state)
{
    delivery_targets *t = delivery_targets_new();
    delivery_target *a = delivery_targets_get(t, "whTarget_A");
    delivery_target *b = delivery_targets_get(t, "whTarget_B");
    delivery_targets_mark_ready(t, b);
    delivery_targets_mark_ready(t, a);
    delivery_targets_mark_ready(t, b); /* once only */
    /* A slot on the ready list is not freed, even idle. */
    delivery_targets_release_idle(t, b);
    assert_int_equal(delivery_targets_count(t), 2);
    assert_ptr_equal(delivery_targets_pop_ready(t), b);
    assert_ptr_equal(delivery_targets_pop_ready(t), a);
    assert_null(delivery_targets_pop_ready(t));

    delivery_target_push(a, job(1));
    delivery_target_push(b, job(2));
    delivery_target_push(b, job(3));
    delivery_targets_mark_ready(t, a);
    delivery_job *all = delivery_targets_take_queued(t);
    int n = 0;
    for (delivery_job *j = all; j; j = j->next)
        n++;
    assert_int_equal(n, 3);
    free_list(all);
    assert_null(delivery_targets_pop_ready(t));
    assert_int_equal(delivery_targets_count(t), 0);
    delivery_targets_free(t);
}

static void test_many_targets(void **state)
{
    delivery_targets *t = delivery_targets_new();
    char id[HK_ID_MAX];
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof id, "whTarget_%d", i);
        delivery_target *s = delivery_targets_get(t, id);
        assert_non_null(s);
        s->in_flight = (size_t)(i % 2);
    }
    assert_int_equal(delivery_targets_count(t), 2000);
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof id, "whTarget_%d", i);
        delivery_target *s = delivery_targets_get(t, id);
        assert_string_equal(s->id, id);
        delivery_targets_release_idle(t, s);
    }
    assert_int_equal(delivery_targets_count(t), 1000);
    delivery_targets_free(t); /* frees busy slots too */
}

static void test_duration_average(void **state)
{
    delivery_target s = {0};
    delivery_target_observe(&s, 0);
    assert_int_equal(s.duration_ms, 1);
    delivery_target_observe(&s, 1001);
    assert_int_equal(s.duration_ms, 251);
    for (int i = 0; i < 40; i++)
        delivery_target_observe(&s, 30000);
    assert_true(s.duration_ms > 29900 && s.duration_ms <= 30000);
}

static hk_event event(const char *id, const char *payload)
{
    hk_event ev = {.type = HK_EVENT_CUSTOMER_DELETED, .timestamp = 1697725303616};
    snprintf(ev.id, sizeof ev.id, "%s", id);
    snprintf(ev.workspace_id, sizeof ev.workspace_id, "w_01GST0W989ZNAW53X6XYHAY87P");
    ev.payload_json = payload;
    ev.payload_len = strlen(payload);
    return ev;
}

static void test_template_cache(void **state)
{
    delivery_template_cache *c = delivery_template_cache_new(2);
    const webhook_body_template *t1, *t2, *t3, *again;
    hk_event e1 = event("pEv_1", "{\"eventType\":\"customer.customer_deleted\",\"n\":1}");
    hk_event e2 = event("pEv_2", "{\"eventType\":\"customer.customer_deleted\",\"n\":2}");
    hk_event e3 = event("pEv_3", "{\"eventType\":\"customer.customer_deleted\",\"n\":3}");
    assert_int_equal(delivery_template_cache_get(c, &e1, &t1), HK_OK);
    assert_non_null(strstr(t1->text.data, "\"n\":1"));
    assert_int_equal(delivery_template_cache_get(c, &e1, &again), HK_OK);
    assert_ptr_equal(again, t1);
    assert_int_equal(delivery_template_cache_get(c, &e2, &t2), HK_OK);
    assert_int_equal(delivery_template_cache_get(c, &e3, &t3), HK_OK); /* evicts e1 */
    assert_non_null(strstr(t3->text.data, "\"n\":3"));
    assert_int_equal(delivery_template_cache_get(c, &e1, &again), HK_OK);
    assert_non_null(strstr(again->text.data, "\"n\":1"));
    uint64_t hits, misses;
    delivery_template_cache_counts(c, &hits, &misses);
    assert_int_equal(hits, 1);
    assert_int_equal(misses, 4);

    /* Same event id in another workspace: another entry. */
    hk_event other = e2;
    snprintf(other.workspace_id, sizeof other.workspace_id, "w_other");
    assert_int_equal(delivery_template_cache_get(c, &other, &again), HK_OK);
    delivery_template_cache_counts(c, &hits, &misses);
    assert_int_equal(misses, 5);

    hk_event bad = e1;
    bad.payload_json = NULL;
    snprintf(bad.id, sizeof bad.id, "pEv_bad");
    assert_int_equal(delivery_template_cache_get(c, &bad, &again), HK_EINVAL);
    assert_null(again);
    delivery_template_cache_free(c);
    delivery_template_cache_free(NULL);
}

/* Per-target figures: a label for each of the first `max` targets, then _other; a target
 * keeps its label (a counter never moves between series). */
static void test_target_stats_bounded(void **state)
{
    hk_target_stats *s = hk_target_stats_new(3);
    assert_non_null(s);
    hk_target_figures f[8];
    assert_int_equal(hk_target_stats_snapshot(s, f, 8), 0);
    char id[HK_ID_MAX];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "whTarget_%d", i);
        hk_target_stats_record(s, "w_1", id, i % 2 == 0, i % 2 == 0 ? 200 : 503, 10);
    }
    hk_target_stats_record(s, "w_1", "whTarget_0", false, 0, 5);  /* an old one keeps its own */
    hk_target_stats_record(s, "w_1", "whTarget_4", true, 204, 1); /* a late one is _other */
    size_t n = hk_target_stats_snapshot(s, f, 8);
    assert_int_equal(n, 4);
    assert_string_equal(f[0].target_id, "whTarget_0");
    assert_string_equal(f[0].workspace_id, "w_1");
    assert_int_equal(f[0].succeeded, 1);
    assert_int_equal(f[0].failed, 1);
    assert_int_equal(f[0].duration_ms, 15);
    assert_true(f[0].failing);
    assert_int_equal(f[0].last_status, 0);
    assert_string_equal(f[1].target_id, "whTarget_1");
    assert_int_equal(f[1].failed, 1);
    assert_string_equal(f[3].target_id, HK_TARGET_STATS_OTHER);
    assert_string_equal(f[3].workspace_id, "");
    assert_int_equal(f[3].succeeded, 2); /* whTarget_3 failed once, whTarget_4 twice ok */
    assert_int_equal(f[3].failed, 1);
    /* a small buffer gets what fits, the count says how many there are */
    assert_int_equal(hk_target_stats_snapshot(s, f, 2), 4);
    hk_target_stats_free(s);
    hk_target_stats_free(NULL);

    /* 0 labels: everything is _other */
    s = hk_target_stats_new(0);
    hk_target_stats_record(s, "w_1", "whTarget_9", true, 200, 1);
    assert_int_equal(hk_target_stats_snapshot(s, f, 8), 1);
    assert_string_equal(f[0].target_id, HK_TARGET_STATS_OTHER);
    hk_target_stats_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_and_fifo), cmocka_unit_test(test_ready_list),
        cmocka_unit_test(test_many_targets),   cmocka_unit_test(test_duration_average),
        cmocka_unit_test(test_template_cache), cmocka_unit_test(test_target_stats_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
