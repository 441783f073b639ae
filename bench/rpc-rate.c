/*
 * Threads rather than processes: each has its own connection, and that is
 * what hostd sees; the client side of a call is the same either way.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <skiff/skiff.h>

#include "hostd-run.h"
#include "rpc-rate.h"

#define MAX_CLIENTS 64

struct shared {
    enum bench_rpc_op op;
    const char *domain;
    pthread_mutex_t lock;
    pthread_cond_t go_cond;
    int go;                     /* 1: run until deadline; -1: abort */
    double t0, deadline;
};

struct client {
    struct shared *s;
    struct skiff_conn *conn;
    unsigned long calls;
    double end;
    int failed;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int one_call(struct client *c, struct skiff_error *err)
{
    if (c->s->op == BENCH_RPC_INFO) {
        struct skiff_domain_info info;
        int rc = skiff_info(c->conn, c->s->domain, &info, err);
        if (rc == 0)
            skiff_domain_info_clear(&info);
        return rc;
    }
    struct skiff_domain_info *list;
    size_t n;
    int rc = skiff_list(c->conn, true, &list, &n, err);
    if (rc == 0)
        skiff_domain_list_free(list, n);
    return rc;
}

static void *run(void *arg)
{
    struct client *c = arg;
    struct skiff_error err;
    pthread_mutex_lock(&c->s->lock);
    while (c->s->go == 0)
        pthread_cond_wait(&c->s->go_cond, &c->s->lock);
    int go = c->s->go;
    double deadline = c->s->deadline;
    pthread_mutex_unlock(&c->s->lock);
    if (go < 0)
        return NULL;
    do {
        if (one_call(c, &err) < 0) {
            fprintf(stderr, "bench: %s: %s\n",
                    c->s->op == BENCH_RPC_INFO ? "skiff_info" : "skiff_list", err.message);
            c->failed = 1;
            break;
        }
        c->calls++;
    } while (now_s() < deadline && !bench_interrupted);
    c->end = now_s();
    return NULL;
}

int bench_rpc_rate(const char *uri, enum bench_rpc_op op, const char *domain, int clients,
                   double seconds, struct bench_rpc_result *res)
{
    static struct client cl[MAX_CLIENTS];
    static pthread_t tid[MAX_CLIENTS];
    if (clients < 1 || clients > MAX_CLIENTS)
        return -1;
    struct shared s = { .op = op, .domain = domain, .lock = PTHREAD_MUTEX_INITIALIZER,
                        .go_cond = PTHREAD_COND_INITIALIZER };
    int rc = -1, opened = 0, started = 0;
    struct skiff_error err;
    for (; opened < clients; opened++) {
        cl[opened] = (struct client){ .s = &s };
        if (skiff_connect(uri, &cl[opened].conn, &err) < 0) {
            fprintf(stderr, "bench: skiff_connect: %s\n", err.message);
            goto out;
        }
    }
    for (; started < clients; started++) {
        int e = pthread_create(&tid[started], NULL, run, &cl[started]);
        if (e != 0) {
            fprintf(stderr, "bench: pthread_create: %s\n", strerror(e));
            break;
        }
    }
    /* All connected and waiting: start the clock for everyone at once. */
    pthread_mutex_lock(&s.lock);
    s.t0 = now_s();
    s.deadline = s.t0 + seconds;
    s.go = started == clients ? 1 : -1;
    pthread_cond_broadcast(&s.go_cond);
    pthread_mutex_unlock(&s.lock);
    double end = 0;
    unsigned long calls = 0;
    int failed = started < clients;
    for (int i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        calls += cl[i].calls;
        failed |= cl[i].failed;
        if (cl[i].end > end)
            end = cl[i].end;
    }
    if (!failed && !bench_interrupted) {
        res->rate = (double)calls / (end - s.t0);
        res->calls = calls;
        rc = 0;
    }
out:
    for (int i = 0; i < opened; i++)
        skiff_close(cl[i].conn);
    return rc;
}

#define ECHO_SIZE 64

static int full(ssize_t (*io)(int, void *, size_t), int fd, void *buf)
{
    size_t done = 0;
    while (done < ECHO_SIZE) {
        ssize_t n = io(fd, (char *)buf + done, ECHO_SIZE - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

static ssize_t write_nc(int fd, void *buf, size_t len)
{
    return write(fd, buf, len);
}

int bench_echo_rate(double seconds, double *rate)
{
    int sv[2];
    char buf[ECHO_SIZE] = { 0 };
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        perror("bench: socketpair");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        while (full(read, sv[1], buf) == 0 && full(write_nc, sv[1], buf) == 0)
            ;
        _exit(0);
    }
    close(sv[1]);
    unsigned long n = 0;
    int rc = 0;
    double t0 = now_s(), t = t0;
    do {
        if (full(write_nc, sv[0], buf) < 0 || full(read, sv[0], buf) < 0) {
            perror("bench: echo");
            rc = -1;
            break;
        }
        n++;
    } while ((t = now_s()) - t0 < seconds && !bench_interrupted);
    close(sv[0]);   /* the echo process reads EOF and exits */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (rc == 0)
        *rate = (double)n / (t - t0);
    return rc;
}
