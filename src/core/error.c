#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hk_error_clear(hk_error *err)
{
    if (!err)
        return;
    err->status = HK_OK;
    err->type = HK_ERROR_VALIDATION;
    err->code = NULL;
    err->message[0] = '\0';
    err->nfields = 0;
}

const char *hk_error_default_code(hk_status st)
{
    switch (st) {
    case HK_OK:
        return NULL;
    case HK_EINVAL:
    case HK_ETOOBIG:
    case HK_EPARSE:
        return "input_validation";
    case HK_ENOTFOUND:
        return "not_found";
    case HK_EFORBIDDEN:
        return "forbidden";
    default:
        return "internal";
    }
}

static hk_error_type type_of(hk_status st)
{
    switch (st) {
    case HK_EFORBIDDEN:
        return HK_ERROR_FORBIDDEN;
    case HK_ENOMEM:
    case HK_EIO:
    case HK_EINTERNAL:
        return HK_ERROR_INTERNAL;
    default:
        return HK_ERROR_VALIDATION;
    }
}

static void set_head(hk_error *err, hk_status st, const char *code)
{
    err->status = st;
    err->type = type_of(st);
    err->code = code ? code : hk_error_default_code(st);
}

hk_status hk_error_set(hk_error *err, hk_status st, const char *code, const char *fmt, ...)
{
    if (!err)
        return st;
    set_head(err, st, code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return st;
}

hk_status hk_error_field(hk_error *err, hk_status st, const char *code, const char *field,
                         hk_field_error_type type, const char *fmt, ...)
{
    if (!err)
        return st;
    set_head(err, st, code);
    char msg[HK_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err->message[0] == '\0')
        snprintf(err->message, sizeof err->message, "%s", msg);
    if (err->nfields < HK_ERROR_MAX_FIELDS) {
        hk_field_error *f = &err->fields[err->nfields++];
        snprintf(f->field, sizeof f->field, "%s", field);
        snprintf(f->message, sizeof f->message, "%s", msg);
        f->type = type;
    }
    return st;
}
