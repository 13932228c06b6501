/*
 * bench_curl.c - libcurl's multi interface alone, POSTing one captured
 * delivery (body and header lines) to a receiver as fast as it can: the
 * ceiling of any sender built on libcurl on this machine, measured beside
 * wrk in bench/delivery_bench.sh.
 *
 * It does what the dispatcher's libcurl part does and nothing else: one
 * thread, one multi handle, --connections transfers in flight, easy handles
 * kept between requests, the same per-request options (URL, body, headers,
 * no proxy, timeout, write and header callbacks); no store, no signing, no
 * rendering. --threads N runs N such senders side by side, each with its
 * share of the connections.
 *
 *   bench_curl --url URL --body FILE --headers FILE [--connections N]
 *              [--duration S] [--threads N]
 *
 * --headers: "Name: value" lines (CRLF or LF), as the sink's /sample-head
 * gives them. Prints a summary and one JSON line (requests/s, CPU us per
 * request). Exits 1 if any request fails.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define MAX_CONNECTIONS 256
#define MAX_THREADS 16
#define MAX_FILE ((size_t)1 << 20)

typedef struct config {
    const char *url;
    char *body;
    size_t body_len;
    struct curl_slist *headers;
    int connections, threads;
    double duration_s;
} config;

typedef struct sender {
    const config *cfg;
    int connections;
    long long done, failed;
    pthread_t thread;
} sender;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

static CURL *new_handle(const config *c)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, discard);
    return e;
}

/* Takes what finished off the multi handle; each handle goes out again
 * while the time lasts. */
static void reap(sender *s, CURLM *m, double end, int *active)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *e = msg->easy_handle;
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        if (msg->data.result == CURLE_OK && status >= 200 && status < 300)
            s->done++;
        else
            s->failed++;
        curl_multi_remove_handle(m, e);
        if (now_s() < end && curl_multi_add_handle(m, e) == CURLM_OK)
            continue;
        curl_easy_cleanup(e);
        (*active)--;
    }
}

static void *run_sender(void *arg)
{
    sender *s = arg;
    CURLM *m = curl_multi_init();
    if (!m) {
        s->failed++;
        return NULL;
    }
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)s->connections);
    double end = now_s() + s->cfg->duration_s;
    int active = 0;
    for (int i = 0; i < s->connections; i++) {
        CURL *e = new_handle(s->cfg);
        if (e && curl_multi_add_handle(m, e) == CURLM_OK) {
            active++;
        } else {
            curl_easy_cleanup(e);
            s->failed++;
        }
    }
    while (active > 0) {
        int running;
        curl_multi_perform(m, &running);
        reap(s, m, end, &active);
        if (active > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    curl_multi_cleanup(m);
    return NULL;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = malloc(MAX_FILE + 1);
    size_t n = data ? fread(data, 1, MAX_FILE + 1, f) : 0;
    fclose(f);
    if (!data || n > MAX_FILE) {
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return data;
}

/* "Name: value" lines into a header list, with "Expect:" as the dispatcher
 * sends it (no 100-continue round trip). */
static struct curl_slist *read_headers(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        return NULL;
    struct curl_slist *list = NULL;
    for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n"))
        if (strchr(line, ':'))
            list = curl_slist_append(list, line);
    list = curl_slist_append(list, "Expect:");
    free(text);
    return list;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: bench_curl --url URL --body FILE --headers FILE [--connections N]\n"
                "                  [--duration S] [--threads N]\n"
                "  libcurl's multi interface alone POSTing one request as fast as it can.\n"
                "  Defaults: 8 connections, 10 s, 1 thread.\n");
}

static int parse(int argc, char **argv, config *c, const char **body, const char **headers)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},      {"body", required_argument, NULL, 'b'},
        {"headers", required_argument, NULL, 'H'},  {"connections", required_argument, NULL, 'c'},
        {"duration", required_argument, NULL, 'd'}, {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'u':
            c->url = optarg;
            break;
        case 'b':
            *body = optarg;
            break;
        case 'H':
            *headers = optarg;
            break;
        case 'c':
            c->connections = atoi(optarg);
            break;
        case 'd':
            c->duration_s = atof(optarg);
            break;
        case 't':
            c->threads = atoi(optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (!c->url || !*body || !*headers || c->connections < 1 || c->connections > MAX_CONNECTIONS ||
        c->threads < 1 || c->threads > MAX_THREADS || c->threads > c->connections ||
        !(c->duration_s > 0 && c->duration_s <= 300))
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    config c = {.connections = 8, .threads = 1, .duration_s = 10};
    const char *body_path = NULL, *headers_path = NULL;
    if (parse(argc, argv, &c, &body_path, &headers_path) != 0) {
        usage(stderr);
        return 2;
    }
    c.body = read_file(body_path, &c.body_len);
    c.headers = read_headers(headers_path);
    if (!c.body || !c.headers || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "bench_curl: cannot read %s or %s (at most 1 MiB each)\n", body_path,
                headers_path);
        return 1;
    }
    sender s[MAX_THREADS];
    memset(s, 0, sizeof s);
    double t0 = now_s();
    clock_t cpu0 = clock();
    for (int i = 0; i < c.threads; i++) {
        s[i].cfg = &c;
        s[i].connections = c.connections / c.threads + (i < c.connections % c.threads);
        if (pthread_create(&s[i].thread, NULL, run_sender, &s[i]) != 0) {
            fprintf(stderr, "bench_curl: cannot start a thread\n");
            return 1;
        }
    }
    long long done = 0, failed = 0;
    for (int i = 0; i < c.threads; i++) {
        pthread_join(s[i].thread, NULL);
        done += s[i].done;
        failed += s[i].failed;
    }
    double elapsed = now_s() - t0;
    double cpu_us = (double)(clock() - cpu0) / CLOCKS_PER_SEC * 1e6;
    double rate = done / elapsed;
    printf("bench_curl: %lld requests in %.2f s: %.0f/s, %.1f us CPU each, %lld failed "
           "(%d connections, %d threads)\n",
           done, elapsed, rate, done ? cpu_us / (double)done : 0.0, failed, c.connections,
           c.threads);
    printf("{\"bench\":\"curl\",\"requests\":%lld,\"failed\":%lld,\"rate\":%.1f,\"cpu_us\":%.2f,"
           "\"connections\":%d,\"threads\":%d}\n",
           done, failed, rate, done ? cpu_us / (double)done : 0.0, c.connections, c.threads);
    curl_slist_free_all(c.headers);
    free(c.body);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
