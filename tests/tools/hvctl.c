/*
 * hvctl SOCKET COMMAND...: drive a managed skiff-hv the way hostd does, for
 * tests. Commands run in order: hello, stats, pause, unpause, shutdown,
 * reboot, destroy, console (subscribe with history), release,
 * vcpus (stats, one "vcpu INDEX tid=T cpu=C blocked=B time_ns=N
 * affinity=LIST" line per vCPU), set-affinity VCPU LIST (two arguments;
 * VCPU -1 means all),
 * wait-exit (print console output until Exited arrives),
 * read-console=N (print console output until N bytes or Exited),
 * oversize / garbage (send a frame header announcing 4 GiB / a frame
 * that is not a MonitorRequest, and wait for the monitor to hang up).
 * Replies print as "reply ID error=E message", Exited as
 * "exited status=S faulted=F destroyed=D reboot=R reason=...".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "monitor.pb-c.h"

static uint64_t next_id = 1;

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "hvctl: connect %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return fd;
}

/* Print one message; returns 1 for a reply, 2 for Exited, 0 for console. */
static int receive(int fd, size_t *console_bytes)
{
    uint8_t *body;
    uint32_t len;
    int rc = skiff_frame_recv(fd, SKIFF_FRAME_MAX, &body, &len);
    if (rc < 0) {
        fprintf(stderr, "hvctl: receive: %s\n", strerror(-rc));
        exit(1);
    }
    Skiff__Monitor__V1__MonitorMessage *m =
        skiff__monitor__v1__monitor_message__unpack(NULL, len, body);
    free(body);
    if (m == NULL) {
        fprintf(stderr, "hvctl: malformed message\n");
        exit(1);
    }
    int kind = 0;
    switch (m->msg_case) {
    case SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_REPLY: {
        Skiff__Monitor__V1__MonitorReply *r = m->reply;
        printf("reply %llu error=%d %s\n", (unsigned long long)r->id, r->error, r->message);
        if (r->stats)
            printf("stats paused=%d control_events=%d exits=%llu hypercalls=%llu "
                   "memory=%llu cpu_ns=%llu pid=%d\n", r->stats->paused,
                   r->stats->control_events, (unsigned long long)r->stats->exits,
                   (unsigned long long)r->stats->hypercalls,
                   (unsigned long long)r->stats->memory_touched_bytes,
                   (unsigned long long)r->stats->cpu_time_ns, r->stats->pid);
        for (size_t i = 0; r->stats && i < r->stats->n_vcpus; i++) {
            const Skiff__Monitor__V1__VcpuInfo *v = r->stats->vcpus[i];
            printf("vcpu %u tid=%d cpu=%d blocked=%d time_ns=%llu affinity=%s\n", v->index,
                   v->tid, v->cpu, v->blocked, (unsigned long long)v->time_ns, v->affinity);
        }
        kind = 1;
        break;
    }
    case SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_CONSOLE:
        fwrite(m->console.data, 1, m->console.len, stdout);
        *console_bytes += m->console.len;
        break;
    case SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_EXITED:
        printf("exited status=%d faulted=%d destroyed=%d reboot=%d reason=%s\n",
               m->exited->status, m->exited->faulted, m->exited->destroyed, m->exited->reboot,
               m->exited->reason);
        kind = 2;
        break;
    default:
        break;
    }
    fflush(stdout);
    skiff__monitor__v1__monitor_message__free_unpacked(m, NULL);
    return kind;
}

static void request(int fd, Skiff__Monitor__V1__MonitorRequest *rq, size_t *console_bytes)
{
    rq->id = next_id++;
    if (skiff_frame_send(fd, &rq->base) < 0) {
        fprintf(stderr, "hvctl: send failed\n");
        exit(1);
    }
    while (receive(fd, console_bytes) != 1)
        ;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: hvctl SOCKET COMMAND...\n");
        return 2;
    }
    int fd = connect_to(argv[1]);
    size_t console = 0;
    for (int i = 2; i < argc; i++) {
        const char *c = argv[i];
        Skiff__Monitor__V1__MonitorRequest rq = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
        Skiff__Monitor__V1__Empty empty = SKIFF__MONITOR__V1__EMPTY__INIT;
        Skiff__Monitor__V1__MonitorHello hello = SKIFF__MONITOR__V1__MONITOR_HELLO__INIT;
        Skiff__Monitor__V1__ConsoleSubscribe sub = SKIFF__MONITOR__V1__CONSOLE_SUBSCRIBE__INIT;
        Skiff__Monitor__V1__SetAffinity aff = SKIFF__MONITOR__V1__SET_AFFINITY__INIT;
        if (strcmp(c, "hello") == 0) {
            hello.version = 1;
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_HELLO;
            rq.hello = &hello;
        } else if (strcmp(c, "stats") == 0) {
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_STATS;
            rq.stats = &empty;
        } else if (strcmp(c, "vcpus") == 0) {
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_STATS;
            rq.stats = &empty;
        } else if (strcmp(c, "set-affinity") == 0) {
            if (i + 2 >= argc) {
                fprintf(stderr, "hvctl: set-affinity VCPU LIST\n");
                return 2;
            }
            aff.vcpu = (int32_t)strtol(argv[i + 1], NULL, 10);
            aff.cpus = argv[i + 2];
            i += 2;
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_SET_AFFINITY;
            rq.set_affinity = &aff;
        } else if (strcmp(c, "pause") == 0) {
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_PAUSE;
            rq.pause = &empty;
        } else if (strcmp(c, "unpause") == 0) {
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE;
            rq.unpause = &empty;
        } else if (strcmp(c, "shutdown") == 0 || strcmp(c, "reboot") == 0) {
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_REQUEST;
            rq.request = c[0] == 's' ? SKIFF__MONITOR__V1__GUEST_REQUEST__GUEST_REQUEST_SHUTDOWN
                                     : SKIFF__MONITOR__V1__GUEST_REQUEST__GUEST_REQUEST_REBOOT;
        } else if (strcmp(c, "destroy") == 0) {
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_DESTROY;
            rq.destroy = &empty;
        } else if (strcmp(c, "console") == 0) {
            sub.history = 1;
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_CONSOLE;
            rq.console = &sub;
        } else if (strcmp(c, "release") == 0) {
            rq.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_RELEASE;
            rq.release = &empty;
        } else if (strcmp(c, "wait-exit") == 0) {
            while (receive(fd, &console) != 2)
                ;
            continue;
        } else if (strncmp(c, "read-console=", 13) == 0) {
            size_t want = strtoul(c + 13, NULL, 10);
            while (console < want && receive(fd, &console) != 2)
                ;
            continue;
        } else if (strcmp(c, "oversize") == 0 || strcmp(c, "garbage") == 0) {
            static const uint8_t big[] = { 0xff, 0xff, 0xff, 0xff };
            static const uint8_t junk[] = { 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff };
            const uint8_t *p = c[0] == 'o' ? big : junk;
            size_t n = c[0] == 'o' ? sizeof big : sizeof junk;
            uint8_t b;
            if (write(fd, p, n) != (ssize_t)n)
                return 1;
            /* The monitor must close the connection. */
            printf("closed=%d\n", read(fd, &b, 1) == 0);
            continue;
        } else {
            fprintf(stderr, "hvctl: unknown command %s\n", c);
            return 2;
        }
        request(fd, &rq, &console);
    }
    close(fd);
    return 0;
}
