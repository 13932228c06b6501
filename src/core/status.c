#include "core/status.h"

static const char *const names[HK_STATUS_COUNT] = {
    [HK_OK] = "ok",
    [HK_ENOMEM] = "out of memory",
    [HK_EINVAL] = "invalid input",
    [HK_ENOTFOUND] = "not found",
    [HK_ECONFLICT] = "already exists",
    [HK_ESTATE] = "not allowed in the current state",
    [HK_ELIMIT] = "limit reached",
    [HK_EFORBIDDEN] = "forbidden",
    [HK_ETOOBIG] = "too large",
    [HK_EPARSE] = "malformed",
    [HK_EIO] = "storage or I/O failure",
    [HK_EINTERNAL] = "internal error",
};

const char *hk_status_str(hk_status st)
{
    if ((unsigned)st >= HK_STATUS_COUNT)
        return "unknown status";
    return names[st];
}
