/*
 * verify.c - the entry points: arguments, the size limit, the signature,
 * then parse.c.
 */
#include "verify_int.h"

static hk_verify_result refuse(const hk_verify_options *o, hk_verify_result r, const char *why)
{
    hkv_detail(o->detail, o->detail_size, why);
    return r;
}

hk_verify_result hk_parse_webhook(const char *body, size_t body_len,
                                  const hk_verify_options *options, hk_webhook **out)
{
    hk_verify_options o;
    if (!out)
        return HK_VERIFY_INVALID_ARGUMENT;
    *out = NULL;
    hkv_options_resolve(options, &o);
    if (!body)
        return refuse(&o, HK_VERIFY_INVALID_ARGUMENT, "no body buffer");
    if (body_len > o.max_body_bytes)
        return refuse(&o, HK_VERIFY_TOO_LARGE, "the body is larger than max_body_bytes");
    return hkv_parse(body, body_len, &o, out);
}

hk_verify_result hk_verify_webhook(const char *body, size_t body_len, const char *signature,
                                   const void *secret, size_t secret_len,
                                   const hk_verify_options *options, hk_webhook **out)
{
    hk_verify_options o;
    const char *why;
    if (!out)
        return HK_VERIFY_INVALID_ARGUMENT;
    *out = NULL;
    hkv_options_resolve(options, &o);
    if (!body || !secret || secret_len == 0)
        return refuse(&o, HK_VERIFY_INVALID_ARGUMENT, "no body buffer or no secret");
    /* before the HMAC: no work at all for an oversized body */
    if (body_len > o.max_body_bytes)
        return refuse(&o, HK_VERIFY_TOO_LARGE, "the body is larger than max_body_bytes");
    hk_verify_result r = hkv_signature(body, body_len, signature, secret, secret_len, &why);
    if (r != HK_VERIFY_OK)
        return refuse(&o, r, why);
    return hkv_parse(body, body_len, &o, out);
}
