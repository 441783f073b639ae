/* skiff help, --help and the usage text. */
#include <stdio.h>

#include "cli.h"

static const char exit_status_text[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  the operation failed: hostd refused it (no such domain, wrong state, denied,\n"
    "     invalid configuration, ...) or the configuration file is invalid\n"
    "  2  usage error: unknown command or option, missing or extra arguments\n"
    "  3  cannot connect to hostd, or the connection to it failed\n";

void cli_print_usage(FILE *f)
{
    fprintf(f,
            "Usage: skiff [-c URI] [--json] COMMAND [ARGS...]\n"
            "       skiff help [COMMAND] | --help | --version\n"
            "\n"
            "Manage Skiff domains through hostd.\n"
            "\n"
            "Options:\n"
            "  -c, --connect URI  hostd to talk to (default: $SKIFF_URI, else %s)\n"
            "      --json         machine-readable output (list, dominfo, info, uptime, top,\n"
            "                     events)\n"
            "  -h, --help         show this help\n"
            "  -V, --version      show the version\n"
            "\n"
            "Commands:\n",
            SKIFF_DEFAULT_URI);
    for (const struct cli_cmd *c = cli_commands; c->name != NULL; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\nRun 'skiff help COMMAND' for a command's options.\n\n%s", exit_status_text);
}

void cli_print_command_help(FILE *f, const struct cli_cmd *c)
{
    fprintf(f, "Usage: skiff %s %s\n\n%s.\n", c->name, c->synopsis, c->summary);
    if (c->details != NULL)
        fprintf(f, "\n%s\n", c->details);
}

int cli_cmd_help(struct cli *cli, const struct cli_args *args)
{
    if (args->npos == 0) {
        cli_print_usage(stdout);
        return CLI_EXIT_OK;
    }
    const struct cli_cmd *c = cli_find_command(args->pos[0]);
    if (c == NULL)
        return cli_usage_error(cli, "unknown command '%s' (see 'skiff help')", args->pos[0]);
    cli_print_command_help(stdout, c);
    return CLI_EXIT_OK;
}
