/*
 * error.h - a typed error that names the offending fields.
 *
 * The domain reports every failure as an hk_error: a status, Plain's
 * MutationError code ("customer_already_exists_with_email"), the MutationError
 * type, a human message and up to HK_ERROR_MAX_FIELDS field errors. It is a
 * plain value the caller owns (usually on its stack): no allocation, so
 * reporting an error can never fail.
 */
#ifndef HOOKD_CORE_ERROR_H
#define HOOKD_CORE_ERROR_H

#include "core/status.h"

#define HK_ERROR_MAX_FIELDS 4
#define HK_ERROR_FIELD_MAX 64
#define HK_ERROR_MESSAGE_MAX 256

/* MutationError.type */
typedef enum hk_error_type {
    HK_ERROR_VALIDATION,
    HK_ERROR_FORBIDDEN,
    HK_ERROR_INTERNAL,
} hk_error_type;

/* MutationErrorField.type */
typedef enum hk_field_error_type {
    HK_FIELD_VALIDATION,
    HK_FIELD_REQUIRED,
    HK_FIELD_NOT_FOUND,
} hk_field_error_type;

typedef struct hk_field_error {
    char field[HK_ERROR_FIELD_MAX]; /* GraphQL input path: "identifier.emailAddress" */
    char message[HK_ERROR_MESSAGE_MAX];
    hk_field_error_type type;
} hk_field_error;

typedef struct hk_error {
    hk_status status;   /* HK_OK when there is no error */
    hk_error_type type; /* derived from status by hk_error_set */
    const char *code;   /* static string, Plain's code; NULL when status is HK_OK */
    char message[HK_ERROR_MESSAGE_MAX];
    int nfields;
    hk_field_error fields[HK_ERROR_MAX_FIELDS];
} hk_error;

/* Resets to "no error". Accepts NULL. */
void hk_error_clear(hk_error *err);

/*
 * Records an error and returns `st`, so that `return hk_error_set(...)` reads
 * naturally. `code` must be a static string; NULL picks the default code of
 * the status (input_validation, not_found, forbidden, internal). A later call
 * overwrites status, code and message but keeps the fields already added.
 * `err` may be NULL: then only `st` is returned.
 */
hk_status hk_error_set(hk_error *err, hk_status st, const char *code, const char *fmt, ...)
    HK_PRINTF(4, 5);

/*
 * Records an error about one input field (and the error itself, as
 * hk_error_set, with the field's message as message when none was set).
 * Fields beyond HK_ERROR_MAX_FIELDS are dropped. Returns `st`.
 */
hk_status hk_error_field(hk_error *err, hk_status st, const char *code, const char *field,
                         hk_field_error_type type, const char *fmt, ...) HK_PRINTF(6, 7);

/* The default Plain code for a status ("input_validation", ...). Static. */
const char *hk_error_default_code(hk_status st);

#endif
