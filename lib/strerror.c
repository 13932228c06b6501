/*
 * strerror.c - one sentence per hk_verify_result, for logs and HTTP
 * responses (they name no secret and no body content).
 */
#include "verify_int.h"

const char *hk_verify_strerror(hk_verify_result r)
{
    switch (r) {
    case HK_VERIFY_OK:
        return "ok";
    case HK_VERIFY_BAD_SIGNATURE:
        return "the Plain-Request-Signature is missing or does not match the body";
    case HK_VERIFY_STALE:
        return "the webhookDeliveryAttemptTimestamp is outside the allowed tolerance";
    case HK_VERIFY_MALFORMED_JSON:
        return "the body is not a JSON object";
    case HK_VERIFY_SCHEMA_VIOLATION:
        return "the body does not match Plain's webhook schema";
    case HK_VERIFY_UNKNOWN_EVENT:
        return "the body is an event type this library does not parse";
    case HK_VERIFY_VERSION_MISMATCH:
        return "the webhookTargetVersion is not an accepted version";
    case HK_VERIFY_NO_MEMORY:
        return "out of memory";
    case HK_VERIFY_INVALID_ARGUMENT:
        return "invalid argument";
    case HK_VERIFY_TOO_LARGE:
        return "the body is larger than the allowed maximum";
    }
    return "unknown result";
}
