/*
 * Section 2: `skiff list` as a whole process, fork to reaping, stdout to
 * /dev/null, as a script calling it would wait for it.
 *
 * With shared libraries, client/skiff is libtool's wrapper script: a shell
 * that sets LD_LIBRARY_PATH to client/.libs and execs the real program,
 * client/.libs/skiff. Timing the wrapper would add a shell's start-up that
 * an installed skiff (found by the loader through its normal path) never
 * pays, so the real binary is run the way the wrapper runs it, minus the
 * shell; the wrapper's figure is shown too, to make the difference plain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostd-api.h"
#include "spawn.h"
#include "stats.h"

static double samples[API_MAX_RUNS];

/* The program behind cli; *libdir is set when it needs LD_LIBRARY_PATH. */
static int cli_binary(const char *cli, char *bin, size_t size, char *libdir, size_t libsize)
{
    char head[2] = { 0 };
    FILE *f = fopen(cli, "re");
    if (f == NULL) {
        fprintf(stderr, "hostd-api: %s: %s\n", cli, strerror(errno));
        return -1;
    }
    size_t n = fread(head, 1, 2, f);
    fclose(f);
    libdir[0] = '\0';
    if (n < 2 || head[0] != '#' || head[1] != '!') {
        snprintf(bin, size, "%s", cli);     /* no wrapper: it is the program */
        return 0;
    }
    const char *slash = strrchr(cli, '/');
    if (slash == NULL)
        snprintf(libdir, libsize, ".libs");
    else
        snprintf(libdir, libsize, "%.*s/.libs", (int)(slash - cli), cli);
    snprintf(bin, size, "%s/%s", libdir, slash ? slash + 1 : cli);
    if (access(bin, X_OK) < 0) {
        fprintf(stderr, "hostd-api: %s: %s (expected beside libtool's wrapper %s)\n", bin,
                strerror(errno), cli);
        return -1;
    }
    return 0;
}

/* Median (and p90 when asked) over runs of argv, after a warm-up. */
static int time_process(char *const argv[], int runs, double *median, double *p90)
{
    struct bench_run r;
    for (int i = -API_WARMUP; i < runs; i++) {
        if (bench_interrupted || bench_spawn_ok(argv, 0, &r) < 0)
            return -1;
        if (i >= 0)
            samples[i] = r.wall_ns;
    }
    if (p90 != NULL)
        *p90 = bench_percentile(samples, (size_t)runs, 90);
    *median = bench_median(samples, (size_t)runs);
    return 0;
}

static int timed_rows(char *const list[], char *const version[], char *const wrapped[],
                      const struct api_opts *o, long domains, int full)
{
    char name[128];
    struct bench_run r;
    double median, p90;
    /* Once with its output, to see that it lists something. */
    if (bench_spawn_ok(list, 1, &r) < 0)
        return -1;
    if (r.out_len == 0) {
        fprintf(stderr, "hostd-api: %s list printed nothing\n", list[0]);
        return -1;
    }
    if (time_process(list, o->runs, &median, &p90) < 0)
        return -1;
    snprintf(name, sizeof name, "skiff list median, %ld domains", domains);
    api_row_ms(name, median, full ? "<= 5" : "");
    if (!full)
        return 0;
    snprintf(name, sizeof name, "skiff list p90, %ld domains", domains);
    api_row_ms(name, p90, "");
    if (time_process(version, o->runs, &median, NULL) < 0)
        return -1;
    api_row_ms("skiff --version median (no hostd)", median, "");
    if (wrapped != NULL) {
        if (time_process(wrapped, o->runs, &median, NULL) < 0)
            return -1;
        api_row_ms("skiff list median, libtool wrapper", median, "");
    }
    return 0;
}

int api_cli_rows(const struct api_opts *o, const char *uri, long domains, int full)
{
    char bin[4096], libdir[4096];
    if (cli_binary(o->cli, bin, sizeof bin, libdir, sizeof libdir) < 0)
        return -1;
    /* For the CLI only: set here, removed before hostd spawns anything else. */
    if (setenv("SKIFF_URI", uri, 1) < 0 ||
        (libdir[0] != '\0' && setenv("LD_LIBRARY_PATH", libdir, 1) < 0)) {
        perror("hostd-api: setenv");
        return -1;
    }
    char *list[] = { bin, "list", NULL };
    char *version[] = { bin, "--version", NULL };
    char *wrapped[] = { (char *)o->cli, "list", NULL };
    int rc = timed_rows(list, version, libdir[0] != '\0' ? wrapped : NULL, o, domains, full);
    unsetenv("SKIFF_URI");
    unsetenv("LD_LIBRARY_PATH");
    return rc;
}
