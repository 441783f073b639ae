/*
 * skiff: the command line of Skiff's toolstack, on libskiff.
 *   skiff [-c URI] [--json] COMMAND [ARGS...]
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static int version(void)
{
    printf("skiff %s (libskiff %s, protocol 1)\n", PACKAGE_VERSION, skiff_version());
    return CLI_EXIT_OK;
}

/* The options before the command; returns the command's index in argv,
 * or -(exit status + 1) when skiff should exit. */
static int global_options(struct cli *cli, int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return i + 1;
        if (a[0] != '-' || a[1] == '\0')
            return i;
        if (strcmp(a, "-c") == 0 || strcmp(a, "--connect") == 0) {
            if (i + 1 >= argc)
                return -(cli_usage_error(cli, "option '%s' needs a URI", a) + 1);
            cli->uri = argv[++i];
        } else if (strncmp(a, "--connect=", 10) == 0) {
            cli->uri = a + 10;
        } else if (strncmp(a, "-c", 2) == 0) {
            cli->uri = a + 2;
        } else if (strcmp(a, "--json") == 0) {
            cli->json = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_print_usage(stdout);
            return -(CLI_EXIT_OK + 1);
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            return -(version() + 1);
        } else {
            return -(cli_usage_error(cli, "unknown option '%s' (see 'skiff --help')", a) + 1);
        }
    }
    return i;
}

int main(int argc, char **argv)
{
    struct cli cli = { 0 };
    int first = global_options(&cli, argc, argv);
    if (first < 0)
        return -first - 1;
    if (first >= argc) {
        cli_print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const struct cli_cmd *cmd = cli_find_command(argv[first]);
    if (cmd == NULL)
        return cli_usage_error(&cli, "unknown command '%s' (see 'skiff help')", argv[first]);
    cli.cmd = cmd->name;

    struct cli_args args;
    char msg[256];
    int rc = cli_parse_args(&cmd->spec, argc - first, argv + first, &args, msg, sizeof msg);
    if (rc == -2) {
        fprintf(stderr, "skiff: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    if (rc < 0) {
        cli_usage_error(&cli, "%s", msg);
        fprintf(stderr, "Usage: skiff %s %s\nTry 'skiff help %s'.\n", cmd->name, cmd->synopsis,
                cmd->name);
        return CLI_EXIT_USAGE;
    }
    if (args.seen & OPT_HELP) {
        cli_print_command_help(stdout, cmd);
        rc = CLI_EXIT_OK;
    } else {
        rc = cmd->run(&cli, &args);
    }
    cli_args_free(&args);
    skiff_close(cli.conn);
    if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
        perror("skiff: writing the output");
        rc = CLI_EXIT_FAIL;
    }
    return rc;
}
