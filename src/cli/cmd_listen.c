/*
 * cmd_listen.c - hookctl listen: a local webhook receiver for development,
 * what `stripe listen` is to Stripe. Every POST is verified with
 * libhookd-verify (signature, timestamp, version, body), answered 200 or
 * 400, and printed as it arrives.
 *
 * It talks to no server, so it needs no API key; the secret is the
 * workspace's HMAC secret (hookctl hmac show), which is never printed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hookd/verify.h>

#include "cli/exit_codes.h"
#include "cli/listen_forward.h"
#include "cli/listen_http.h"
#include "cli/listen_print.h"
#include "cli/op.h"
#include "core/clock.h"

#define DEFAULT_HOST "127.0.0.1"
#define SECRET_ENV "HOOKD_WEBHOOK_SECRET"
#define MAX_VERSIONS 16
#define FORWARD_TIMEOUT_MS 10000

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    stop_requested = 1;
}

typedef struct listener {
    const cli_out *out;
    const char *secret;
    hk_verify_options verify;
    char detail[256]; /* the library's description of the first problem it found */
    const char *versions[MAX_VERSIONS];
    lf_forwarder *forward; /* --forward-to, or NULL */
    unsigned long verified, rejected;
} listener;

/* A verified delivery goes on to the application; its answer is listen's answer (no
 * answer: 502, so that hookd retries). */
static void forward(listener *l, const lh_request *req, listen_delivery *d, lh_reply *reply,
                    lf_result *fr)
{
    lf_forward(l->forward, req, fr);
    d->forwarded = true;
    d->forward_status = fr->status;
    d->forward_ms = fr->took_ms;
    d->forward_error = fr->error[0] ? fr->error : NULL;
    d->status = fr->status ? fr->status : 502;
    reply->status = d->status;
    snprintf(reply->text, sizeof reply->text, "%.*s", LH_REPLY_TEXT - 1,
             fr->status ? fr->excerpt : fr->error);
}

static void on_request(void *ctx, const lh_request *req, lh_reply *reply)
{
    listener *l = ctx;
    hk_webhook *wh = NULL;
    char message[512];
    l->detail[0] = '\0'; /* not left over from the last delivery, whatever the library does */
    hk_verify_result r = hk_verify_webhook(req->body, req->body_len, req->signature, l->secret,
                                           strlen(l->secret), &l->verify, &wh);
    snprintf(message, sizeof message, "%s%s%s", hk_verify_strerror(r), l->detail[0] ? ": " : "",
             l->detail);
    listen_delivery d = {
        .received_ms = hk_now_ms(),
        .status = r == HK_VERIFY_OK ? 200 : 400,
        .wh = wh,
        .error = r == HK_VERIFY_OK ? NULL : listen_error_code(r),
        .message = message,
        .event_id = req->event_id,
        .event_type = req->event_type,
        .attempt = req->attempt,
    };
    reply->status = d.status;
    /* The sender's log gets the reason, cut to what a reply holds. */
    snprintf(reply->text, sizeof reply->text, "%.*s", LH_REPLY_TEXT - 1,
             r == HK_VERIFY_OK ? "ok" : message);
    lf_result fr;
    if (r == HK_VERIFY_OK && l->forward)
        forward(l, req, &d, reply, &fr);
    listen_print(l->out, &d);
    if (r == HK_VERIFY_OK)
        l->verified++;
    else
        l->rejected++;
    hk_webhook_free(wh);
}

static void on_refused(void *ctx, int status, const char *why)
{
    listener *l = ctx;
    listen_delivery d = {
        .received_ms = hk_now_ms(), .status = status, .error = "http", .message = why};
    listen_print(l->out, &d);
    l->rejected++;
}

/* ---- options ---- */

/* --tolerance: a duration ("300s", "5m"), or "none" to accept any attempt timestamp (to replay
 * old bodies). */
static int parse_tolerance(cli_ctx *c, int64_t *out)
{
    const char *s = args_get(c->args, "tolerance");
    if (!s)
        return 0;
    if (strcmp(s, "none") == 0) {
        *out = -1;
        return 0;
    }
    if (hk_duration_parse(s, strlen(s), out) != HK_OK)
        return op_usage(c, "--tolerance must be a duration such as 300s or 5m, or none");
    return 0;
}

/* The secret: --secret, else the environment (which other users cannot read in ps). */
static const char *secret(const cli_args *a)
{
    const char *s = args_get(a, "secret");
    return s ? s : getenv(SECRET_ENV);
}

/* True when the library knows the version: another one would make every delivery fail. */
static bool known_version(const char *v)
{
    const char *const *known;
    size_t n = hk_verify_known_versions(&known);
    for (size_t i = 0; i < n; i++)
        if (strcmp(known[i], v) == 0)
            return true;
    return false;
}

static int set_versions(cli_ctx *c, listener *l)
{
    size_t n = args_all(c->args, "version", l->versions, MAX_VERSIONS);
    if (n > MAX_VERSIONS)
        return op_usage(c, "at most %d --version options", MAX_VERSIONS);
    for (size_t i = 0; i < n; i++)
        if (!known_version(l->versions[i]))
            return op_usage(c, "unknown webhook version '%.40s' (see hookctl versions)",
                            l->versions[i]);
    if (n > 0) {
        l->verify.versions = l->versions;
        l->verify.n_versions = n;
    }
    return 0;
}

/* --forward-to URL [--forward-timeout D]. */
static int set_forward(cli_ctx *c, listener *l)
{
    const char *url = args_get(c->args, "forward-to");
    const char *t = args_get(c->args, "forward-timeout");
    int64_t timeout = FORWARD_TIMEOUT_MS;
    if (t && (hk_duration_parse(t, strlen(t), &timeout) != HK_OK || timeout < 1))
        return op_usage(c, "--forward-timeout must be a duration such as 10s or 500ms");
    if (!url)
        return t ? op_usage(c, "--forward-timeout goes with --forward-to") : 0;
    char err[128];
    if (!(l->forward = lf_forwarder_new(url, timeout, err, sizeof err)))
        return op_usage(c, "%s", err);
    return 0;
}

static int configure(cli_ctx *c, listener *l)
{
    hk_verify_options_init(&l->verify);
    l->verify.detail = l->detail;
    l->verify.detail_size = sizeof l->detail;
    l->secret = secret(c->args);
    if (!l->secret || !*l->secret)
        return op_usage(c, "no secret: pass --secret S or set " SECRET_ENV
                           " (the workspace's HMAC secret: hookctl hmac show)");
    if (parse_tolerance(c, &l->verify.tolerance_ms))
        return CLI_EXIT_USAGE;
    int rc = set_versions(c, l);
    return rc ? rc : set_forward(c, l);
}

/* ---- running ---- */

/*
 * SIGINT and SIGTERM set a flag; they are blocked except while the server waits in ppoll
 * (wait_mask), so one that arrives between a check of the flag and the wait is not lost.
 * No SA_RESTART: the wait must end when one arrives.
 */
static void catch_stop_signals(sigset_t *wait_mask)
{
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, wait_mask);
    sigdelset(wait_mask, SIGINT);
    sigdelset(wait_mask, SIGTERM);
}

static void announce(const lh_server *s, const char *host)
{
    if (!lh_server_is_loopback(s))
        fprintf(stderr,
                "hookctl listen: warning: %.64s is not a loopback address: other machines can "
                "send to this receiver (they still need the secret to be accepted)\n",
                host);
    fprintf(stderr, "hookctl listen: listening on %s (Ctrl-C to stop)\n", lh_server_url(s));
}

/* Serves until SIGINT or SIGTERM. */
static int serve(lh_server *s, listener *l)
{
    sigset_t wait_mask;
    char err[256];
    catch_stop_signals(&wait_mask);
    lh_handlers h = {.request = on_request, .refused = on_refused, .ctx = l};
    int rc = CLI_EXIT_OK;
    if (lh_server_run(s, &h, &stop_requested, &wait_mask, err, sizeof err)) {
        out_error("%s", err);
        rc = CLI_EXIT_FAILED;
    }
    fprintf(stderr, "hookctl listen: stopped: %lu verified, %lu rejected\n", l->verified,
            l->rejected);
    return rc;
}

static int run_listen(cli_ctx *c)
{
    listener l = {.out = c->out};
    long port = -1;
    char err[256], port_text[8];
    if (args_int(c->args, "port", 0, 65535, &port, err, sizeof err))
        return op_usage(c, "%s", err);
    int rc = configure(c, &l);
    if (rc)
        return rc;
    /* Only an explicit --host may name an address other machines can reach. */
    const char *host = args_get(c->args, "host");
    snprintf(port_text, sizeof port_text, "%ld", port);
    lh_server *s =
        lh_server_new(host ? host : DEFAULT_HOST, port_text, host != NULL, err, sizeof err);
    if (!s) {
        out_error("%s", err);
        lf_forwarder_free(l.forward);
        return CLI_EXIT_FAILED;
    }
    announce(s, host ? host : DEFAULT_HOST);
    if (l.forward)
        fprintf(stderr, "hookctl listen: forwarding verified deliveries to %s\n",
                lf_forwarder_url(l.forward));
    rc = serve(s, &l);
    lh_server_free(s);
    lf_forwarder_free(l.forward);
    return rc;
}

/* ---- table ---- */

static const cli_opt listen_opts[] = {
    {"port", "P", OPT_REQUIRED, "the port to listen on (0: any free one, printed at start)"},
    {"secret", "S", 0, "the HMAC secret (env " SECRET_ENV ", preferred)"},
    {"host", "H", 0, "the address to listen on (default " DEFAULT_HOST ")"},
    {"tolerance", "T", 0, "how far an attempt's time may be from now: 300s (default), none"},
    {"version", "V", OPT_REPEAT, "accept only this webhook version (repeatable; default: all)"},
    {"forward-to", "URL", 0, "POST each verified delivery on to URL (your application)"},
    {"forward-timeout", "D", 0, "how long the application may take (default 10s)"},
    {NULL, NULL, 0, NULL},
};

static const cli_spec listen_spec = {
    "listen --port P [--secret S] [--host H] [--tolerance T] [--version V]...\n"
    "              [--forward-to URL [--forward-timeout D]] [--json]",
    "Receives webhooks locally, verifies them and prints each event as it arrives.",
    "A development receiver: point a target at it (hookctl targets create --url\n"
    "http://127.0.0.1:P/ ...; the server must allow private targets). Every POST is checked\n"
    "with libhookd-verify: the Plain-Request-Signature header against the secret, the body,\n"
    "the attempt timestamp and the version. Valid deliveries get 200, anything else 400 with\n"
    "the reason (so hookd retries it), and each is printed: time, status, event type and id,\n"
    "attempt, target, the customer and what changed. With --json, one line per delivery:\n"
    "{receivedAt, status, verified, eventId, eventType, attempt, targetId, customerEmail, ...}\n"
    "or {..., verified: false, error, message} (error: bad_signature, stale_timestamp, ...).\n"
    "With --forward-to, each verified delivery is POSTed on to URL with its body and headers,\n"
    "and the application's status is what hookd gets (no answer: 502), so hookd retries what\n"
    "it failed; unverified ones are not forwarded.\n"
    "Needs no server and no API key. Listens on loopback unless --host says otherwise.\n"
    "The address is printed on standard error once listening.\n"
    "\n"
    "Exit status: 0 when stopped by SIGINT (Ctrl-C) or SIGTERM, 1 when the address cannot be\n"
    "listened on, 2 for a usage error (no secret, a bad port or duration).",
    listen_opts,
    0,
    0,
    false};

static const cli_command listen_commands[] = {
    {NULL, &listen_spec, run_listen},
    {NULL, NULL, NULL},
};

const cli_group cmd_listen = {"listen", "A local webhook receiver that verifies and prints.",
                              listen_commands};
