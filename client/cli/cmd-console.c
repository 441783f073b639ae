/*
 * skiff console: like xl console. On a terminal, the terminal goes raw,
 * keys go to the guest and Ctrl-] detaches; otherwise the output is copied
 * to stdout until the domain stops or hostd ends the stream.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define ESCAPE_CHAR 0x1d        /* Ctrl-] */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

struct console_session {
    struct skiff_console *con;
    bool interactive;           /* stdin is a terminal: raw mode, escape key */
    bool input_open;            /* stdin still forwarded */
    struct termios saved;
};

/* Copy one chunk of guest output. 1 = go on, 0 = the stream ended, or an
 * exit status through *status. */
static int pump_output(struct cli *cli, struct console_session *s, int *status)
{
    char buf[4096];
    struct skiff_error err;
    ssize_t n = skiff_console_read(s->con, buf, sizeof buf, &err);
    if (n < 0) {
        *status = cli_fail(cli, &err);
        return -1;
    }
    if (n == 0)
        return 0;
    if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
        *status = CLI_EXIT_OK;      /* the reader went away (e.g. `| head`) */
        return -1;
    }
    return 1;
}

/* Forward keyboard input. 1 = go on, 0 = detach, -1 with *status. */
static int pump_input(struct cli *cli, struct console_session *s, int *status)
{
    char buf[1024];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (n <= 0) {
        s->input_open = false;
        return 1;
    }
    size_t len = (size_t)n;
    bool detach = false;
    if (s->interactive) {
        char *esc = memchr(buf, ESCAPE_CHAR, len);
        if (esc != NULL) {
            len = (size_t)(esc - buf);
            detach = true;
        }
    }
    struct skiff_error err;
    if (len > 0 && skiff_console_write(s->con, buf, len, &err) < 0) {
        *status = cli_fail(cli, &err);
        return -1;
    }
    return detach ? 0 : 1;
}

static int session(struct cli *cli, struct console_session *s)
{
    int status = CLI_EXIT_OK;
    for (;;) {
        if (stop_signal)
            return CLI_EXIT_OK;
        if (skiff_console_pending(s->con)) {
            int r = pump_output(cli, s, &status);
            if (r <= 0)
                return status;
            continue;
        }
        struct pollfd p[2] = {
            { .fd = skiff_console_fd(s->con), .events = POLLIN },
            { .fd = s->input_open ? STDIN_FILENO : -1, .events = POLLIN },
        };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("skiff: console: poll");
            return CLI_EXIT_FAIL;
        }
        if (p[1].revents & POLLNVAL)
            s->input_open = false;
        else if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            int r = pump_input(cli, s, &status);
            if (r <= 0)
                return status;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int r = pump_output(cli, s, &status);
            if (r <= 0)
                return status;
        }
    }
}

static void make_raw(struct console_session *s)
{
    struct termios t = s->saved;
    cfmakeraw(&t);
    /* Keep output processing, so a guest's "\n" still starts a new line. */
    t.c_oflag |= s->saved.c_oflag & (OPOST | ONLCR);
    tcsetattr(STDIN_FILENO, TCSADRAIN, &t);
}

int cli_cmd_console(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct console_session s = { .input_open = true };
    struct skiff_error err;
    unsigned flags = (a->seen & OPT_NO_HISTORY) ? 0 : SKIFF_CONSOLE_HISTORY;
    if (skiff_console_open(cli->conn, a->pos[0], flags, &s.con, &err) < 0)
        return cli_fail(cli, &err);

    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    s.interactive = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &s.saved) == 0;
    if (s.interactive) {
        fprintf(stderr, "Connected to domain %s (escape character is ^])\n", a->pos[0]);
        make_raw(&s);
    }
    rc = session(cli, &s);
    if (s.interactive) {
        tcsetattr(STDIN_FILENO, TCSADRAIN, &s.saved);
        fputc('\n', stderr);
    }
    skiff_console_close(s.con);
    return rc;
}
