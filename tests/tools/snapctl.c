/*
 * snapctl SOCKET dirty MS: turn the dirty log on, fetch it, wait MS
 * milliseconds, fetch it again, turn it off; prints "dirty A B" (pages
 * in each fetch).
 *
 * snapctl SOCKET save FILE | SOCKET restore FILE: save a managed skiff-hv
 * to a snapshot file, or load one into a skiff-hv started with
 * --incoming and run it, the way hostd does but with no hostd (so a test
 * can cover what hostd does not run yet, such as SMP guests). save leaves
 * the guest paused; restore prints "restored" once it runs.
 *
 * snapctl check FILE: is FILE a whole snapshot (header, records, footer
 * and every checksum)? Prints "ok" or why not; exit status 0 or 1.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "monitor.pb-c.h"
#include "snapshot.h"

static int ctl = -1;
static uint8_t inbuf[SKIFF_FRAME_HEADER + SKIFF_FRAME_MAX];
static size_t inlen;
static int passed_fd = -1;
static uint64_t next_id = 1;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "snapctl: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

/* The next reply (console output and Exited are skipped); a descriptor
 * that came with it is left in passed_fd. */
static Skiff__Monitor__V1__MonitorReply *reply(Skiff__Monitor__V1__MonitorMessage **keep)
{
    for (;;) {
        uint32_t len;
        if (inlen >= SKIFF_FRAME_HEADER) {
            if (skiff_frame_length(inbuf, SKIFF_FRAME_MAX, &len) < 0)
                die("%s", "oversized frame");
            if (inlen >= SKIFF_FRAME_HEADER + len) {
                Skiff__Monitor__V1__MonitorMessage *m = skiff__monitor__v1__monitor_message__unpack(
                    NULL, len, inbuf + SKIFF_FRAME_HEADER);
                memmove(inbuf, inbuf + SKIFF_FRAME_HEADER + len, inlen - SKIFF_FRAME_HEADER - len);
                inlen -= SKIFF_FRAME_HEADER + len;
                if (m == NULL)
                    die("%s", "malformed message");
                if (m->msg_case == SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_REPLY) {
                    *keep = m;
                    return m->reply;
                }
                skiff__monitor__v1__monitor_message__free_unpacked(m, NULL);
                continue;
            }
        }
        union {
            char b[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u;
        struct iovec iov = { inbuf + inlen, sizeof inbuf - inlen };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
                             .msg_controllen = sizeof u.b };
        ssize_t n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
        if (n <= 0)
            die("%s", "the monitor hung up");
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        if (cm != NULL && cm->cmsg_type == SCM_RIGHTS)
            memcpy(&passed_fd, CMSG_DATA(cm), sizeof passed_fd);
        inlen += (size_t)n;
    }
}

/* Send req and wait for its reply, which must be a success. */
static Skiff__Monitor__V1__MonitorReply *call(Skiff__Monitor__V1__MonitorRequest *req,
                                              Skiff__Monitor__V1__MonitorMessage **keep)
{
    req->id = next_id++;
    if (skiff_frame_send(ctl, &req->base) < 0)
        die("%s", "cannot send");
    Skiff__Monitor__V1__MonitorReply *r = reply(keep);
    if (r->error != 0)
        die("refused: %s", r->message);
    return r;
}

static void simple(Skiff__Monitor__V1__MonitorRequest__OpCase op)
{
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    Skiff__Monitor__V1__MonitorHello hello = SKIFF__MONITOR__V1__MONITOR_HELLO__INIT;
    req.op_case = op;
    req.pause = &e;             /* every Empty member shares the union */
    if (op == SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_HELLO) {
        hello.version = 1;
        req.hello = &hello;
    }
    Skiff__Monitor__V1__MonitorMessage *m;
    call(&req, &m);
    skiff__monitor__v1__monitor_message__free_unpacked(m, NULL);
}

static int get_memory(uint64_t *size)
{
    Skiff__Monitor__V1__MonitorMessage *m;
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_MEMORY;
    req.get_memory = &e;
    Skiff__Monitor__V1__MonitorReply *r = call(&req, &m);
    *size = r->stats ? r->stats->memory_bytes : 0;
    skiff__monitor__v1__monitor_message__free_unpacked(m, NULL);
    if (passed_fd < 0 || *size == 0)
        die("%s", "no memory descriptor came");
    int fd = passed_fd;
    passed_fd = -1;
    return fd;
}

static int save(const char *file)
{
    uint64_t size;
    int memfd = get_memory(&size);
    Skiff__Monitor__V1__MonitorMessage *m;
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_STATE;
    req.get_state = &e;
    Skiff__Monitor__V1__MonitorReply *r = call(&req, &m);
    Skiff__Snapshot__V1__MachineState *ms = r->stats ? r->stats->machine : NULL;
    if (ms == NULL)
        die("%s", "no state came");
    Skiff__V1__DomainConfig cfg = SKIFF__V1__DOMAIN_CONFIG__INIT;
    cfg.memory_mb = size >> 20;
    cfg.vcpus = (uint32_t)ms->n_vcpus;
    Skiff__Snapshot__V1__Header h = SKIFF__SNAPSHOT__V1__HEADER__INIT;
    h.format_version = SNAP_VERSION;
    h.arch = (char *)"x86_64";
    h.memory_bytes = size;
    h.vcpu_count = (uint32_t)ms->n_vcpus;
    h.config = &cfg;
    h.page_size = SNAP_PAGE;
    Skiff__Snapshot__V1__Devices dev = SKIFF__SNAPSHOT__V1__DEVICES__INIT;
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    uint8_t *mem = mmap(NULL, size, PROT_READ, MAP_SHARED, memfd, 0);
    if (fd < 0 || mem == MAP_FAILED)
        die("cannot write %s", file);
    struct snap_writer w;
    size_t n = ms->n_vcpus;
    int rc = snap_write_begin(&w, snap_fd_sink, &fd);
    if (rc == 0)
        rc = snap_write_msg(&w, SNAP_REC_HEADER, &h.base);
    ms->n_vcpus = 0;
    if (rc == 0)
        rc = snap_write_msg(&w, SNAP_REC_MACHINE, &ms->base);
    ms->n_vcpus = n;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = snap_write_msg(&w, SNAP_REC_VCPU, &ms->vcpus[i]->base);
    if (rc == 0)
        rc = snap_write_msg(&w, SNAP_REC_DEVICES, &dev.base);
    if (rc == 0)
        rc = snap_write_memory(&w, mem, size, memfd);
    if (rc == 0)
        rc = snap_write_end(&w);
    if (rc < 0 || close(fd) < 0)
        die("cannot write %s", file);
    printf("saved %zu vCPUs, %llu pages\n", n, (unsigned long long)w.pages);
    skiff__monitor__v1__monitor_message__free_unpacked(m, NULL);
    munmap(mem, size);
    close(memfd);
    return 0;
}

static int restore(const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open %s", file);
    struct snap_image img;
    char err[256];
    if (snap_read_meta(fd, &img, err, sizeof err) < 0)
        die("%s", err);
    uint64_t size;
    int memfd = get_memory(&size);
    if (size != img.header->memory_bytes)
        die("%s", "memory sizes differ");
    if (snap_read_memory(fd, &img, NULL, memfd, size, err, sizeof err) < 0)
        die("%s", err);
    close(memfd);
    Skiff__Monitor__V1__MonitorMessage *m;
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_SET_STATE;
    req.set_state = img.machine;
    call(&req, &m);
    skiff__monitor__v1__monitor_message__free_unpacked(m, NULL);
    simple(SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE);
    printf("restored %zu vCPUs\n", img.machine->n_vcpus);
    snap_image_free(&img);
    close(fd);
    return 0;
}

static uint64_t dirty_fetch(bool enable, bool disable)
{
    Skiff__Monitor__V1__MonitorMessage *m;
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__DirtyLog dl = SKIFF__MONITOR__V1__DIRTY_LOG__INIT;
    dl.enable = enable;
    dl.disable = disable;
    dl.fetch = !disable;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_DIRTY_LOG;
    req.dirty_log = &dl;
    Skiff__Monitor__V1__MonitorReply *r = call(&req, &m);
    uint64_t n = 0;
    for (size_t i = 0; r->stats && i < r->stats->dirty_bitmap.len; i++)
        n += (uint64_t)__builtin_popcount(r->stats->dirty_bitmap.data[i]);
    skiff__monitor__v1__monitor_message__free_unpacked(m, NULL);
    return n;
}

static int dirty(const char *ms)
{
    uint64_t a = dirty_fetch(true, false);
    usleep((useconds_t)atoi(ms) * 1000);
    uint64_t b = dirty_fetch(false, false);
    dirty_fetch(false, true);
    printf("dirty %llu %llu\n", (unsigned long long)a, (unsigned long long)b);
    return 0;
}

/* Read the whole file as restore would, into memory it does not keep. */
static int check(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open %s", path);
    struct snap_image img = { 0 };
    char err[512];
    int rc = snap_read_meta(fd, &img, err, sizeof err);
    uint8_t *mem = NULL;
    if (rc == 0) {
        uint64_t size = img.header->memory_bytes;
        mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
        rc = mem == MAP_FAILED ? -errno
                               : snap_read_memory(fd, &img, mem, -1, size, err, sizeof err);
        if (mem != MAP_FAILED)
            munmap(mem, size);
    }
    snap_image_free(&img);
    close(fd);
    printf("%s\n", rc == 0 ? "ok" : err);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return check(argv[2]);
    if (argc != 4 || (strcmp(argv[2], "save") != 0 && strcmp(argv[2], "restore") != 0 &&
                      strcmp(argv[2], "dirty") != 0)) {
        fprintf(stderr, "usage: snapctl SOCKET save|restore FILE | SOCKET dirty MS | check FILE\n");
        return 2;
    }
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
    ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ctl < 0 || connect(ctl, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("cannot connect to %s", argv[1]);
    simple(SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_HELLO);
    int rc = strcmp(argv[2], "save") == 0      ? save(argv[3])
             : strcmp(argv[2], "restore") == 0 ? restore(argv[3])
                                               : dirty(argv[3]);
    close(ctl);
    return rc;
}
