#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "config.h"
#include "log.h"
#include "mem.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: %s [ CORE OPTIONS ] [ MODULE OPTIONS ] [ -- ] KERNEL [ ARGS ]\n"
               "KERNEL is the filename of the unikernel to run.\n"
               "ARGS are optional arguments passed to KERNEL.\n"
               "Core options:\n"
               "  [ --mem=512 ] (guest memory in MB)\n"
               "  --help (display this help)\n"
               "  --version (display version information)\n"
               "  --no-sandbox (do not install the seccomp filter; debugging only)\n"
               "Managed mode (driven by hostd):\n"
               "  --control=PATH (serve the control protocol on a UNIX socket at PATH)\n"
               "  --control-fd=N (serve it on the listening socket N made by the caller;\n"
               "                  with --control too, PATH only names it)\n"
               "  --start-paused (with --control: do not run the guest until unpaused)\n"
               "  --log-max=BYTES (stop copying console output to stdout, a regular file,\n"
               "                   while it is that large; resumes once it is truncated)\n"
               "Compiled-in modules: core block net dumpcore control smp place\n"
               "Module options:\n", hv_progname());
    for (int i = 0; hv_modules[i] != NULL; i++) {
        if (hv_modules[i]->option != NULL)
            fputs(hv_modules[i]->usage, f);
    }
}

int hv_args_locate(struct hv *hv, int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            hv->opt_argc = i - 1;
            i++;
            break;
        }
        if (argv[i][0] != '-') {
            hv->opt_argc = i - 1;
            break;
        }
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            fprintf(stderr, "%s %s (hvt tender)\nABI version %d\n", hv_progname(),
                    PACKAGE_VERSION, HVT_ABI_VERSION);
            return 0;
        }
    }
    if (i >= argc) {
        hv_err("Missing KERNEL operand");
        usage(stderr);
        return 1;
    }
    hv->opt_argv = argv + 1;
    hv->kernel = argv[i];
    hv->guest_argv = argv + i + 1;
    hv->guest_argc = argc - i - 1;
    return HV_ARGS_RUN;
}

static int apply_one(struct hv *hv, const char *arg)
{
    if (strncmp(arg, "--mem=", 6) == 0) {
        if (hv_mem_parse_mib(arg + 6, &hv->mem_request) < 0) {
            hv_err("Malformed argument to --mem: '%s'", arg + 6);
            return -1;
        }
        return 0;
    }
    if (strncmp(arg, "--control=", 10) == 0 && arg[10] != '\0') {
        hv->control_path = arg + 10;
        hv->managed = true;
        return 0;
    }
    if (strncmp(arg, "--control-fd=", 13) == 0) {
        char *end;
        long fd = strtol(arg + 13, &end, 10);
        if (end == arg + 13 || *end != '\0' || fd < 3 || fd > 65535)
            return -1;
        hv->control_fd = (int)fd;
        hv->managed = true;
        return 0;
    }
    if (strncmp(arg, "--log-max=", 10) == 0) {
        char *end;
        unsigned long long v = strtoull(arg + 10, &end, 10);
        if (end == arg + 10 || *end != '\0' || arg[10] == '-' || v < 1024)
            return -1;
        hv->console.log_max = v;
        return 0;
    }
    if (strcmp(arg, "--start-paused") == 0) {
        hv->start_paused = true;
        return 0;
    }
    if (strcmp(arg, "--no-sandbox") == 0) {
        hv->sandbox = false;
        return 0;
    }
    for (int i = 0; hv_modules[i] != NULL; i++) {
        if (hv_modules[i]->option == NULL)
            continue;
        int rc = hv_modules[i]->option(hv, arg);
        if (rc <= 0)
            return rc;
    }
    return -1;
}

int hv_args_apply(struct hv *hv)
{
    for (int i = 0; i < hv->opt_argc; i++) {
        if (apply_one(hv, hv->opt_argv[i]) < 0) {
            hv_err("Invalid option: `%s'", hv->opt_argv[i]);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}
