/*
 * work_pool.c - see work_pool.h.
 */
#include "core/work_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 4096

struct hk_work_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    hk_work *head, *tail; /* under lock */
    bool stopping;        /* under lock */
    bool joined;          /* the caller's: drained */
    unsigned started;
    char name[16];
    pthread_t threads[];
};

static hk_work *take(hk_work_pool *p)
{
    hk_work *w = p->head;
    p->head = w->next;
    if (!p->head)
        p->tail = NULL;
    w->next = NULL;
    return w;
}

static void *worker_main(void *arg)
{
    hk_work_pool *p = arg;
    pthread_setname_np(pthread_self(), p->name);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->wake, &p->lock);
        if (!p->head)
            break; /* stopping, and the queue is empty */
        hk_work *w = take(p);
        pthread_mutex_unlock(&p->lock);
        w->run(w);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void join_all(hk_work_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
}

hk_status hk_work_pool_start(unsigned threads, const char *name, hk_work_pool **out, hk_error *err)
{
    *out = NULL;
    if (threads < 1 || threads > MAX_THREADS)
        return hk_error_set(err, HK_EINVAL, NULL, "work pool: %u threads (1..%d)", threads,
                            MAX_THREADS);
    hk_work_pool *p = calloc(1, sizeof *p + threads * sizeof p->threads[0]);
    if (!p)
        return hk_error_set(err, HK_ENOMEM, NULL, "out of memory starting a work pool");
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    snprintf(p->name, sizeof p->name, "%s", name);
    hk_status st = HK_OK;
    for (; p->started < threads; p->started++) {
        if (pthread_create(&p->threads[p->started], NULL, worker_main, p) != 0) {
            st = hk_error_set(err, HK_EINTERNAL, NULL, "work pool: cannot start thread %u of %u",
                              p->started + 1, threads);
            break;
        }
    }
    if (st) {
        hk_work_pool_stop(p);
        return st;
    }
    *out = p;
    return HK_OK;
}

bool hk_work_pool_submit(hk_work_pool *p, hk_work *w)
{
    w->next = NULL;
    pthread_mutex_lock(&p->lock);
    bool ok = !p->stopping;
    if (ok) {
        if (p->tail)
            p->tail->next = w;
        else
            p->head = w;
        p->tail = w;
        pthread_cond_signal(&p->wake);
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void hk_work_pool_drain(hk_work_pool *p)
{
    if (!p || p->joined)
        return;
    join_all(p); /* the threads run what is queued before they exit */
    p->joined = true;
}

void hk_work_pool_stop(hk_work_pool *p)
{
    if (!p)
        return;
    hk_work_pool_drain(p);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
}
