/* Error codes, their names and texts, and the names of states/actions. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int sk_seterr(struct skiff_error *err, enum skiff_errcode code, int sys_errno, const char *fmt,
              ...)
{
    if (err != NULL) {
        err->code = code;
        err->sys_errno = sys_errno;
        err->decision[0] = '\0';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -(int)code;
}

int sk_error_from_proto(const Skiff__V1__Error *e, struct skiff_error *err)
{
    if (e == NULL || e->code == SKIFF__V1__ERROR_CODE__OK)
        return 0;
    enum skiff_errcode code = (enum skiff_errcode)e->code;
    /* A code newer than this library: report it as hostd's failure,
     * keeping hostd's words. */
    if (e->code < 0 || e->code > SKIFF__V1__ERROR_CODE__TIMEOUT)
        code = SKIFF_ERR_INTERNAL;
    const char *msg = e->message != NULL && *e->message ? e->message : skiff_strerror(code);
    sk_seterr(err, code, 0, "%s", msg);
    if (err != NULL && e->decision != NULL)
        snprintf(err->decision, sizeof err->decision, "%s", e->decision);
    return -(int)code;
}

void skiff_error_clear(struct skiff_error *err)
{
    if (err != NULL)
        memset(err, 0, sizeof *err);
}

const char *skiff_strerror(enum skiff_errcode code)
{
    switch (code) {
    case SKIFF_OK: return "success";
    case SKIFF_ERR_NOT_FOUND: return "no such domain";
    case SKIFF_ERR_EXISTS: return "name or UUID already in use";
    case SKIFF_ERR_INVALID: return "invalid request or configuration";
    case SKIFF_ERR_DENIED: return "permission denied by the security policy";
    case SKIFF_ERR_BUSY: return "the domain's state does not allow this operation";
    case SKIFF_ERR_INTERNAL: return "hostd failed internally (see its log)";
    case SKIFF_ERR_UNSUPPORTED: return "operation not supported";
    case SKIFF_ERR_PROTOCOL: return "protocol error";
    case SKIFF_ERR_TIMEOUT: return "timed out";
    case SKIFF_ERR_CONNECT: return "cannot connect to hostd";
    case SKIFF_ERR_IO: return "connection to hostd failed";
    case SKIFF_ERR_NOMEM: return "out of memory";
    case SKIFF_ERR_USAGE: return "invalid argument";
    }
    return "unknown error";
}

const char *skiff_errcode_name(enum skiff_errcode code)
{
    switch (code) {
    case SKIFF_OK: return "OK";
    case SKIFF_ERR_NOT_FOUND: return "NOT_FOUND";
    case SKIFF_ERR_EXISTS: return "EXISTS";
    case SKIFF_ERR_INVALID: return "INVALID";
    case SKIFF_ERR_DENIED: return "DENIED";
    case SKIFF_ERR_BUSY: return "BUSY";
    case SKIFF_ERR_INTERNAL: return "INTERNAL";
    case SKIFF_ERR_UNSUPPORTED: return "UNSUPPORTED";
    case SKIFF_ERR_PROTOCOL: return "PROTOCOL";
    case SKIFF_ERR_TIMEOUT: return "TIMEOUT";
    case SKIFF_ERR_CONNECT: return "CONNECT";
    case SKIFF_ERR_IO: return "IO";
    case SKIFF_ERR_NOMEM: return "NOMEM";
    case SKIFF_ERR_USAGE: return "USAGE";
    }
    return "UNKNOWN";
}

const char *skiff_state_name(enum skiff_state state)
{
    switch (state) {
    case SKIFF_STATE_DEFINED: return "defined";
    case SKIFF_STATE_RUNNING: return "running";
    case SKIFF_STATE_PAUSED: return "paused";
    case SKIFF_STATE_SHUTDOWN: return "shutdown";
    case SKIFF_STATE_CRASHED: return "crashed";
    case SKIFF_STATE_UNKNOWN: break;
    }
    return "unknown";
}

const char *skiff_action_name(enum skiff_action action)
{
    switch (action) {
    case SKIFF_ACTION_DESTROY: return "destroy";
    case SKIFF_ACTION_RESTART: return "restart";
    case SKIFF_ACTION_PRESERVE: return "preserve";
    case SKIFF_ACTION_DEFAULT: break;
    }
    return "default";
}
