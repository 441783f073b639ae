/*
 * skiff events: follow hostd's event log, one line per event:
 *   SEQ TIME DOMAIN KIND STATE [DETAIL]
 * or one JSON object per line with --json.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void print_event(const struct skiff_event *ev, bool json)
{
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_u64(&j, "seq", ev->seq);
        json_kv_u64(&j, "time_ns", ev->time_ns);
        json_kv_string(&j, "domain", ev->domain_name);
        json_kv_string(&j, "uuid", ev->domain_uuid);
        json_kv_string(&j, "kind", ev->kind);
        json_kv_string(&j, "state", skiff_state_name(ev->state));
        json_kv_string(&j, "detail", ev->detail);
        json_object_end(&j);
        json_end(&j);
        return;
    }
    char t[64];
    cli_format_time(t, sizeof t, ev->time_ns);
    printf("%" PRIu64 " %s %s %s %s", ev->seq, t,
           ev->domain_name && *ev->domain_name ? ev->domain_name : "-",
           ev->kind && *ev->kind ? ev->kind : "-", skiff_state_name(ev->state));
    if (ev->detail && *ev->detail)
        printf(" %s", ev->detail);
    putchar('\n');
    fflush(stdout);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until an event is readable: 1, 0 on the idle timeout or a signal. */
static int wait_readable(struct skiff_events *evs, int64_t deadline)
{
    while (!skiff_events_pending(evs)) {
        int timeout = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return 0;
            timeout = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd p = { .fd = skiff_events_fd(evs), .events = POLLIN };
        int r = poll(&p, 1, timeout);
        if (stop_signal)
            return 0;
        if (r < 0 && errno != EINTR)
            return 1;   /* let the read report it */
        if (r > 0)
            return 1;
    }
    return 1;
}

int cli_cmd_events(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_events *evs;
    struct skiff_error err;
    if (skiff_events_open(cli->conn, a->since, &evs, &err) < 0)
        return cli_fail(cli, &err);
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    bool json = cli_json(cli, a);
    bool idle_limit = (a->seen & OPT_TIMEOUT) != 0;
    uint64_t seen = 0;
    rc = CLI_EXIT_OK;
    while (!(a->seen & OPT_COUNT) || seen < a->count) {
        int64_t deadline = idle_limit ? now_ms() + (int64_t)a->timeout_s * 1000 : -1;
        if (!wait_readable(evs, deadline))
            break;
        struct skiff_event ev;
        int r = skiff_events_next(evs, &ev, &err);
        if (r < 0) {
            rc = cli_fail(cli, &err);
            break;
        }
        if (r == 0)
            break;
        print_event(&ev, json);
        skiff_event_clear(&ev);
        seen++;
        if (ferror(stdout))
            break;
    }
    skiff_events_close(evs);
    return rc;
}
