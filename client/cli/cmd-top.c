/*
 * skiff top: the domains' resource use, refreshed (like xentop). CPU % is
 * the change in a domain's vCPU time between two samples over the wall
 * time between them, so every display needs a previous sample.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_DELAY_MS 1000

struct sample {
    uint64_t at_ns;             /* CLOCK_MONOTONIC */
    uint64_t realtime_ns;
    struct skiff_domain_info *list;
    size_t n;
    struct skiff_host_info host;
};

/* What one row shows, computed from a sample and the one before. */
struct row {
    const struct skiff_domain_info *d;
    bool has_pct;               /* live, and in the previous sample with the same run */
    double cpu_pct;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool live(const struct skiff_domain_info *d)
{
    return d->state == SKIFF_STATE_RUNNING || d->state == SKIFF_STATE_PAUSED;
}

static int by_name(const void *a, const void *b)
{
    const struct skiff_domain_info *x = a, *y = b;
    return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static void sample_clear(struct sample *s)
{
    skiff_domain_list_free(s->list, s->n);
    skiff_host_info_clear(&s->host);
    memset(s, 0, sizeof *s);
}

static int take_sample(struct cli *cli, struct sample *s)
{
    struct skiff_error err;
    memset(s, 0, sizeof *s);
    if (skiff_host_info(cli->conn, &s->host, &err) < 0 ||
        skiff_list(cli->conn, true, &s->list, &s->n, &err) < 0) {
        sample_clear(s);
        return cli_fail(cli, &err);
    }
    s->at_ns = monotonic_ns();
    s->realtime_ns = realtime_ns();
    if (s->n > 1)
        qsort(s->list, s->n, sizeof *s->list, by_name);
    return CLI_EXIT_OK;
}

static const struct skiff_domain_info *find(const struct sample *s, const char *uuid)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->list[i].uuid, uuid) == 0)
            return &s->list[i];
    return NULL;
}

static void compute(const struct sample *prev, const struct sample *cur, struct row *rows)
{
    double wall = cur->at_ns > prev->at_ns ? (double)(cur->at_ns - prev->at_ns) : 0.0;
    for (size_t i = 0; i < cur->n; i++) {
        const struct skiff_domain_info *d = &cur->list[i];
        const struct skiff_domain_info *p = find(prev, d->uuid);
        rows[i].d = d;
        rows[i].has_pct = false;
        rows[i].cpu_pct = 0.0;
        if (!live(d) || wall <= 0.0)
            continue;
        /* A (re)start since the previous sample resets the vCPU time:
         * count from zero. */
        uint64_t before = 0;
        if (p != NULL && live(p) && p->id == d->id && p->cpu_time_ns <= d->cpu_time_ns)
            before = p->cpu_time_ns;
        rows[i].has_pct = true;
        rows[i].cpu_pct = (double)(d->cpu_time_ns - before) / wall * 100.0;
    }
}

static void count_states(const struct sample *s, unsigned counts[6])
{
    memset(counts, 0, 6 * sizeof counts[0]);
    for (size_t i = 0; i < s->n; i++)
        if ((unsigned)s->list[i].state < 6)
            counts[s->list[i].state]++;
}

/* Lines end with eol: "\n", or "\033[K\n" to clear what a refresh leaves. */
static void print_text(const struct sample *s, const struct row *rows, const char *eol)
{
    unsigned c[6];
    count_states(s, c);
    char t[64], up[64];
    cli_format_time(t, sizeof t, s->realtime_ns);
    cli_format_duration(up, sizeof up, s->host.uptime_ns / 1000000000u);
    uint64_t maxmem = 0;
    for (size_t i = 0; i < s->n; i++)
        if (live(&s->list[i]))
            maxmem += s->list[i].config.memory_mb << 10;
    printf("skiff top - %s  host %s  hostd %s, up %s%s", t,
           s->host.hostname ? s->host.hostname : "-", s->host.version ? s->host.version : "-",
           up, eol);
    printf("%zu domains: %u running, %u paused, %u shutdown, %u crashed, %u defined%s", s->n,
           c[SKIFF_STATE_RUNNING], c[SKIFF_STATE_PAUSED], c[SKIFF_STATE_SHUTDOWN],
           c[SKIFF_STATE_CRASHED], c[SKIFF_STATE_DEFINED], eol);
    printf("CPUs: %u  Mem: %" PRIu64 "k total, %" PRIu64 "k given to running domains%s",
           s->host.cpus, s->host.memory_bytes >> 10, maxmem, eol);
    printf("%s", eol);
    int w = 16;
    for (size_t i = 0; i < s->n; i++)
        if (s->list[i].name != NULL && (int)strlen(s->list[i].name) > w)
            w = (int)strlen(s->list[i].name) > 64 ? 64 : (int)strlen(s->list[i].name);
    printf("%-*s %-8s %10s %7s %10s %10s %5s %12s%s", w, "NAME", "STATE", "CPU(sec)", "CPU(%)",
           "MEM(k)", "MAXMEM(k)", "VCPUS", "EXITS", eol);
    for (size_t i = 0; i < s->n; i++) {
        const struct skiff_domain_info *d = rows[i].d;
        char pct[32] = "-";
        if (rows[i].has_pct)
            snprintf(pct, sizeof pct, "%.1f", rows[i].cpu_pct);
        printf("%-*s %-8s %10.1f %7s %10" PRIu64 " %10" PRIu64 " %5u %12" PRIu64 "%s", w,
               d->name ? d->name : "-", skiff_state_name(d->state), (double)d->cpu_time_ns / 1e9,
               pct, d->memory_touched_bytes >> 10, d->config.memory_mb << 10, d->config.vcpus,
               d->exits, eol);
    }
}

static void print_json(const struct sample *s, const struct row *rows)
{
    unsigned c[6];
    count_states(s, c);
    struct json j;
    json_init(&j, stdout);
    json_object_begin(&j);
    json_kv_u64(&j, "time_ns", s->realtime_ns);
    json_key(&j, "host");
    json_object_begin(&j);
    json_kv_string(&j, "hostname", s->host.hostname);
    json_kv_string(&j, "version", s->host.version);
    json_kv_u64(&j, "uptime_s", s->host.uptime_ns / 1000000000u);
    json_kv_u64(&j, "cpus", s->host.cpus);
    json_kv_u64(&j, "memory_bytes", s->host.memory_bytes);
    json_key(&j, "domains");
    json_object_begin(&j);
    for (int st = SKIFF_STATE_DEFINED; st <= SKIFF_STATE_CRASHED; st++)
        json_kv_u64(&j, skiff_state_name((enum skiff_state)st), c[st]);
    json_object_end(&j);
    json_object_end(&j);
    json_key(&j, "domains");
    json_array_begin(&j);
    for (size_t i = 0; i < s->n; i++) {
        const struct skiff_domain_info *d = rows[i].d;
        json_object_begin(&j);
        json_kv_string(&j, "name", d->name);
        json_kv_string(&j, "uuid", d->uuid);
        json_kv_u64(&j, "id", d->id);
        json_kv_string(&j, "state", skiff_state_name(d->state));
        json_kv_u64(&j, "cpu_time_ns", d->cpu_time_ns);
        json_key(&j, "cpu_percent");
        if (rows[i].has_pct) {
            json_double(&j, rows[i].cpu_pct, 2);
        } else {
            json_null(&j);
        }
        json_kv_u64(&j, "memory_touched_bytes", d->memory_touched_bytes);
        json_kv_u64(&j, "memory_max_bytes", d->config.memory_mb << 20);
        json_kv_u64(&j, "vcpus", d->config.vcpus);
        json_kv_u64(&j, "exits", d->exits);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    json_end(&j);
}

static int show(const struct sample *prev, const struct sample *cur, bool json, const char *eol)
{
    struct row *rows = calloc(cur->n ? cur->n : 1, sizeof *rows);
    if (rows == NULL) {
        fprintf(stderr, "skiff: top: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    compute(prev, cur, rows);
    if (json)
        print_json(cur, rows);
    else
        print_text(cur, rows, eol);
    free(rows);
    fflush(stdout);
    return CLI_EXIT_OK;
}

static void sleep_ms(uint32_t ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !interrupted)
        ;
}

/* --batch, or output that is not a terminal: `iterations` displays. */
static int run_batch(struct cli *cli, uint32_t delay_ms, uint64_t iterations, bool json)
{
    struct sample prev, cur;
    int rc = take_sample(cli, &prev);
    if (rc != CLI_EXIT_OK)
        return rc;
    for (uint64_t i = 0; i < iterations; i++) {
        sleep_ms(delay_ms);
        rc = take_sample(cli, &cur);
        if (rc != CLI_EXIT_OK)
            break;
        if (i > 0 && !json)
            putchar('\n');
        rc = show(&prev, &cur, json, "\n");
        sample_clear(&prev);
        prev = cur;
        if (rc != CLI_EXIT_OK)
            break;
    }
    sample_clear(&prev);
    return rc;
}

/* Wait up to ms for a key; true when the user asked to quit. */
static bool wait_key(uint32_t ms)
{
    uint64_t end = monotonic_ns() + (uint64_t)ms * 1000000u;
    for (;;) {
        uint64_t now = monotonic_ns();
        if (interrupted || now >= end)
            return interrupted;
        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
        int n = poll(&p, 1, (int)((end - now + 999999) / 1000000));
        if (n < 0 && errno != EINTR)
            return true;
        if (n > 0) {
            char c;
            ssize_t r = read(STDIN_FILENO, &c, 1);
            if (r <= 0 || c == 'q' || c == 'Q' || c == 3 /* Ctrl-C without ISIG */)
                return true;
        }
    }
}

static int run_interactive(struct cli *cli, uint32_t delay_ms, uint64_t iterations)
{
    struct termios saved, raw;
    if (tcgetattr(STDIN_FILENO, &saved) < 0) {
        fprintf(stderr, "skiff: top: cannot read the terminal settings: %s\n", strerror(errno));
        return CLI_EXIT_FAIL;
    }
    raw = saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term, old_hup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    printf("\033[?1049h\033[?25l");   /* alternate screen, hidden cursor */

    struct sample prev, cur;
    int rc = take_sample(cli, &prev);
    bool first = true;
    /* The first display comes quickly, then one every delay. */
    uint32_t wait = delay_ms < 300 ? delay_ms : 300;
    for (uint64_t i = 0; rc == CLI_EXIT_OK && (iterations == 0 || i < iterations); i++) {
        if (wait_key(first ? wait : delay_ms))
            break;
        first = false;
        rc = take_sample(cli, &cur);
        if (rc != CLI_EXIT_OK)
            break;
        printf("\033[H");
        rc = show(&prev, &cur, false, "\033[K\n");
        printf("\nPress q to quit.\033[K\033[J");
        fflush(stdout);
        sample_clear(&prev);
        prev = cur;
    }
    sample_clear(&prev);
    printf("\033[?25h\033[?1049l");
    fflush(stdout);
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return rc;
}

int cli_cmd_top(struct cli *cli, const struct cli_args *a)
{
    bool json = cli_json(cli, a);
    bool batch = (a->seen & OPT_BATCH) || json || !isatty(STDIN_FILENO) ||
                 !isatty(STDOUT_FILENO);
    uint32_t delay = (a->seen & OPT_DELAY) ? a->delay_ms : DEFAULT_DELAY_MS;
    uint64_t iterations = (a->seen & OPT_ITERATIONS) ? a->iterations : batch ? 1 : 0;
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    return batch ? run_batch(cli, delay, iterations, json) : run_interactive(cli, delay, iterations);
}
