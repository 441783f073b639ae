/* Connecting, and turning errors into messages and exit statuses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

int cli_exit_status(enum skiff_errcode code)
{
    switch (code) {
    case SKIFF_OK: return CLI_EXIT_OK;
    case SKIFF_ERR_USAGE: return CLI_EXIT_USAGE;
    case SKIFF_ERR_CONNECT:
    case SKIFF_ERR_IO:
    case SKIFF_ERR_PROTOCOL: return CLI_EXIT_CONNECT;
    default: return CLI_EXIT_FAIL;
    }
}

/* What to do next, for the errors where there is something to say. */
static const char *hint(const struct skiff_error *err)
{
    switch (err->code) {
    case SKIFF_ERR_CONNECT:
        if (err->sys_errno == 0)   /* TLS: the message says what is wrong */
            return "";
        if (err->sys_errno == EACCES || err->sys_errno == EPERM)
            return "; run as root or as a user allowed to use hostd's socket "
                   "(set SKIFF_URI or use -c URI for another hostd)";
        return "; is hostd running? (set SKIFF_URI or use -c URI)";
    case SKIFF_ERR_NOT_FOUND:
        return " (see 'skiff list')";
    case SKIFF_ERR_IO:
        return "; did hostd stop? (see its log)";
    default:
        return "";
    }
}

int cli_fail(const struct cli *cli, const struct skiff_error *err)
{
    if (cli->cmd != NULL && err->code != SKIFF_ERR_CONNECT)
        fprintf(stderr, "skiff: %s: %s%s\n", cli->cmd, err->message, hint(err));
    else
        fprintf(stderr, "skiff: %s%s\n", err->message, hint(err));
    if (err->code == SKIFF_ERR_DENIED && err->decision[0] != '\0')
        fprintf(stderr, "skiff: policy decision: %s\n", err->decision);
    return cli_exit_status(err->code);
}

int cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
    va_list ap;
    fputs("skiff: ", stderr);
    if (cli->cmd != NULL)
        fprintf(stderr, "%s: ", cli->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

int cli_connect(struct cli *cli)
{
    if (cli->conn != NULL)
        return CLI_EXIT_OK;
    struct skiff_error err;
    int rc = skiff_connect(cli->uri, &cli->conn, &err);
    if (rc < 0) {
        cli_fail(cli, &err);
        /* A malformed URI is a usage error; anything else: no hostd. */
        return err.code == SKIFF_ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_CONNECT;
    }
    return CLI_EXIT_OK;
}

bool cli_json(const struct cli *cli, const struct cli_args *args)
{
    return cli->json || (args->seen & OPT_JSON);
}
