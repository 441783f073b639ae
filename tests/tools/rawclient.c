/*
 * rawclient: talk to hostd frame by frame, including frames no real client
 * would send, and print what comes back. For tests.
 *
 *   rawclient SOCKET DIRECTIVE...
 *
 * Directives run in order on one connection; fields are separated by ':'.
 *   hello[:VERSION]              send Hello (default version 1), print the reply
 *   list[:all]  host-info  info:D  start:D  destroy:D  pause:D  unpause:D
 *   undefine:D  reboot:D  rename:D:NEW
 *   define:NAME:KERNEL[:CMDLINE]  create:NAME:KERNEL[:CMDLINE]  create-paused:...
 *   shutdown:D[:wait[:GRACE_MS]]
 *   console:D:N  events:SINCE:N  read N stream messages after the final one
 *                                is not expected (stream), then go on
 *   send:DIRECTIVE               send a request and do not wait for its reply
 *   garbage                      a frame that is not a ClientMessage
 *   oversize                     a header announcing more than the maximum
 *   truncated                    a header announcing 100 bytes, then 10 bytes
 *   hexfile:PATH                 send the bytes of a hex dump as they are
 *   read:N                       print the next N messages, whatever they are
 *   sleep:MS  eof                wait; read until the server closes
 * Every reply is printed on one line; "EOF" when the server closed.
 * Exit status: 0, or 1 when the connection failed or closed unexpectedly.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "skiff.pb-c.h"

static int fd = -1;
static uint64_t next_id = 1;
static int timeout_ms = 30000;

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    return ev ? ev->name : "?";
}

static void print_escaped(const uint8_t *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n')
            fputs("\\n", stdout);
        else if (p[i] == '"' || p[i] == '\\')
            printf("\\%c", p[i]);
        else if (isprint(p[i]))
            putchar(p[i]);
        else
            printf("\\x%02x", p[i]);
    }
    putchar('"');
}

static void print_error(const Skiff__V1__Error *e)
{
    printf(" error=%s ", enum_name(&skiff__v1__error_code__descriptor, e->code));
    print_escaped((const uint8_t *)e->message, strlen(e->message));
}

static void print_domain(const Skiff__V1__DomainInfo *d)
{
    printf(" domain name=%s uuid=%s state=%s id=%u pid=%d persistent=%d exit_status=%d "
           "restarts=%u reason=",
           d->name, d->uuid, enum_name(&skiff__v1__domain_state__descriptor, d->state), d->id,
           d->pid, d->persistent, d->exit_status, d->restarts);
    print_escaped((const uint8_t *)d->reason, strlen(d->reason));
}

static void print_response(const Skiff__V1__Response *r)
{
    printf("response id=%llu%s:", (unsigned long long)r->id, r->more ? " more" : "");
    if (r->error != NULL && r->error->code != SKIFF__V1__ERROR_CODE__OK) {
        print_error(r->error);
        putchar('\n');
        return;
    }
    switch (r->result_case) {
    case SKIFF__V1__RESPONSE__RESULT_DOMAIN:
        print_domain(r->domain);
        break;
    case SKIFF__V1__RESPONSE__RESULT_DOMAINS:
        printf(" domains=%zu", r->domains->n_domains);
        for (size_t i = 0; i < r->domains->n_domains; i++) {
            printf("\n  ");
            print_domain(r->domains->domains[i]);
        }
        break;
    case SKIFF__V1__RESPONSE__RESULT_HOST:
        printf(" host hostname=%s version=%s cpus=%u running=%u defined=%u", r->host->hostname,
               r->host->version, r->host->cpus, r->host->domains_running,
               r->host->domains_defined);
        break;
    case SKIFF__V1__RESPONSE__RESULT_EVENT:
        printf(" event seq=%llu kind=%s domain=%s state=%s detail=",
               (unsigned long long)r->event->seq, r->event->kind, r->event->domain_name,
               enum_name(&skiff__v1__domain_state__descriptor, r->event->state));
        print_escaped((const uint8_t *)r->event->detail, strlen(r->event->detail));
        break;
    case SKIFF__V1__RESPONSE__RESULT_CONSOLE:
        printf(" console ");
        print_escaped(r->console->data.data, r->console->data.len);
        break;
    default:
        printf(" ok");
        break;
    }
    putchar('\n');
}

/* Read one ServerMessage: 1 = got one, 0 = EOF, -1 = error/timeout. */
static int read_message(Skiff__V1__ServerMessage **out)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int rc = poll(&p, 1, timeout_ms);
    if (rc == 0) {
        printf("TIMEOUT\n");
        return -1;
    }
    uint8_t *body;
    uint32_t len;
    rc = skiff_frame_recv(fd, SKIFF_FRAME_MAX, &body, &len);
    if (rc == -EPIPE || rc == -ECONNRESET) {
        printf("EOF\n");
        return 0;
    }
    if (rc < 0) {
        printf("ERROR %s\n", strerror(-rc));
        return -1;
    }
    *out = skiff__v1__server_message__unpack(NULL, len, body);
    free(body);
    if (*out == NULL) {
        printf("MALFORMED reply\n");
        return -1;
    }
    return 1;
}

static void print_message(const Skiff__V1__ServerMessage *m)
{
    if (m->msg_case == SKIFF__V1__SERVER_MESSAGE__MSG_HELLO) {
        printf("hello: version=%d server=\"%s\"", m->hello->version, m->hello->server);
        if (m->hello->error != NULL && m->hello->error->code != SKIFF__V1__ERROR_CODE__OK)
            print_error(m->hello->error);
        putchar('\n');
    } else if (m->msg_case == SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE) {
        print_response(m->response);
    } else {
        printf("unknown server message\n");
    }
}

/* Print messages until the final response for id (or count stream messages). */
static int read_until(uint64_t id, int count)
{
    int seen = 0;
    for (;;) {
        Skiff__V1__ServerMessage *m;
        int rc = read_message(&m);
        if (rc <= 0)
            return 1;
        print_message(m);
        bool done = m->msg_case != SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE ||
                    (m->response->id == id && !m->response->more) ||
                    (m->response->id == 0 && m->response->error != NULL);
        if (m->msg_case == SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE && m->response->id == id &&
            m->response->more && count > 0 && ++seen >= count)
            done = true;
        skiff__v1__server_message__free_unpacked(m, NULL);
        if (done)
            return 0;
    }
}

static int send_raw(const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            printf("SEND %s\n", strerror(errno));
            return 1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_client(const Skiff__V1__ClientMessage *m)
{
    int rc = skiff_frame_send(fd, &m->base);
    if (rc < 0) {
        printf("SEND %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}

static int send_request(Skiff__V1__Request *rq, bool wait, int count)
{
    rq->id = next_id++;
    Skiff__V1__ClientMessage m = SKIFF__V1__CLIENT_MESSAGE__INIT;
    m.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST;
    m.request = rq;
    if (send_client(&m))
        return 1;
    return wait ? read_until(rq->id, count) : 0;
}

static int hexfile(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        printf("hexfile %s: %s\n", path, strerror(errno));
        return 1;
    }
    uint8_t buf[65536];
    size_t n = 0;
    int hi = -1, c;
    while ((c = fgetc(f)) != EOF && n < sizeof buf) {
        if (!isxdigit(c))
            continue;
        int v = isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
        if (hi < 0) {
            hi = v;
        } else {
            buf[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    fclose(f);
    return send_raw(buf, n);
}

/* Split "a:b:c" in place; returns the number of fields. */
static int split(char *s, char **f, int max)
{
    int n = 0;
    f[n++] = s;
    for (char *p = s; *p && n < max; p++) {
        if (*p == ':') {
            *p = '\0';
            f[n++] = p + 1;
        }
    }
    return n;
}

static int directive(char *arg)
{
    bool wait = true;
    if (strncmp(arg, "send:", 5) == 0) {
        wait = false;
        arg += 5;
    }
    char *f[8] = { 0 };
    int n = split(arg, f, 8);
    const char *op = f[0];
    const char *a1 = n > 1 ? f[1] : "", *a2 = n > 2 ? f[2] : "", *a3 = n > 3 ? f[3] : "";

    Skiff__V1__Request rq = SKIFF__V1__REQUEST__INIT;
    Skiff__V1__DomainRef ref = SKIFF__V1__DOMAIN_REF__INIT;
    ref.domain = (char *)a1;

    if (strcmp(op, "hello") == 0) {
        Skiff__V1__Hello h = SKIFF__V1__HELLO__INIT;
        h.version = n > 1 ? atoi(a1) : SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1;
        h.client = (char *)"rawclient";
        Skiff__V1__ClientMessage m = SKIFF__V1__CLIENT_MESSAGE__INIT;
        m.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO;
        m.hello = &h;
        if (send_client(&m))
            return 1;
        return wait ? read_until(0, 0) : 0;
    }
    if (strcmp(op, "garbage") == 0) {
        /* Field 1 as a length-delimited field that runs past the end. */
        static const uint8_t g[] = { 0, 0, 0, 8, 0x0a, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02 };
        return send_raw(g, sizeof g) || (wait && read_until(0, 0));
    }
    if (strcmp(op, "oversize") == 0) {
        uint8_t hdr[4];
        skiff_frame_header(hdr, SKIFF_FRAME_MAX + 1);
        return send_raw(hdr, sizeof hdr) || (wait && read_until(0, 0));
    }
    if (strcmp(op, "truncated") == 0) {
        static const uint8_t t[] = { 0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
        return send_raw(t, sizeof t);
    }
    if (strcmp(op, "hexfile") == 0)
        return hexfile(a1) || (wait && read_until(0, 0));
    if (strcmp(op, "sleep") == 0) {
        struct timespec ts = { atoi(a1) / 1000, (atoi(a1) % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        return 0;
    }
    if (strcmp(op, "read") == 0) {
        for (int i = 0; i < atoi(a1); i++) {
            Skiff__V1__ServerMessage *m;
            if (read_message(&m) <= 0)
                return 1;
            print_message(m);
            skiff__v1__server_message__free_unpacked(m, NULL);
        }
        return 0;
    }
    if (strcmp(op, "eof") == 0) {
        for (;;) {
            Skiff__V1__ServerMessage *m;
            int rc = read_message(&m);
            if (rc == 0)
                return 0;
            if (rc < 0)
                return 1;
            print_message(m);
            skiff__v1__server_message__free_unpacked(m, NULL);
        }
    }

    Skiff__V1__ListRequest list = SKIFF__V1__LIST_REQUEST__INIT;
    Skiff__V1__Empty empty = SKIFF__V1__EMPTY__INIT;
    Skiff__V1__DomainConfig cfg = SKIFF__V1__DOMAIN_CONFIG__INIT;
    Skiff__V1__DefineRequest def = SKIFF__V1__DEFINE_REQUEST__INIT;
    Skiff__V1__CreateRequest cr = SKIFF__V1__CREATE_REQUEST__INIT;
    Skiff__V1__ShutdownRequest sd = SKIFF__V1__SHUTDOWN_REQUEST__INIT;
    Skiff__V1__RenameRequest rn = SKIFF__V1__RENAME_REQUEST__INIT;
    Skiff__V1__ConsoleRequest con = SKIFF__V1__CONSOLE_REQUEST__INIT;
    Skiff__V1__EventsRequest ev = SKIFF__V1__EVENTS_REQUEST__INIT;
    int count = 0;
    cfg.name = (char *)a1;
    cfg.kernel = (char *)a2;
    cfg.cmdline = (char *)a3;

    if (strcmp(op, "list") == 0) {
        list.all = strcmp(a1, "all") == 0;
        rq.op_case = SKIFF__V1__REQUEST__OP_LIST;
        rq.list = &list;
    } else if (strcmp(op, "host-info") == 0) {
        rq.op_case = SKIFF__V1__REQUEST__OP_HOST_INFO;
        rq.host_info = &empty;
    } else if (strcmp(op, "define") == 0) {
        def.config = &cfg;
        rq.op_case = SKIFF__V1__REQUEST__OP_DEFINE;
        rq.define = &def;
    } else if (strcmp(op, "create") == 0 || strcmp(op, "create-paused") == 0) {
        cr.config = &cfg;
        cr.paused = strcmp(op, "create-paused") == 0;
        rq.op_case = SKIFF__V1__REQUEST__OP_CREATE;
        rq.create = &cr;
    } else if (strcmp(op, "shutdown") == 0) {
        sd.domain = (char *)a1;
        sd.wait = strcmp(a2, "wait") == 0;
        sd.grace_ms = (uint32_t)atoi(a3);
        rq.op_case = SKIFF__V1__REQUEST__OP_SHUTDOWN;
        rq.shutdown = &sd;
    } else if (strcmp(op, "rename") == 0) {
        rn.domain = (char *)a1;
        rn.new_name = (char *)a2;
        rq.op_case = SKIFF__V1__REQUEST__OP_RENAME;
        rq.rename = &rn;
    } else if (strcmp(op, "console") == 0) {
        con.domain = (char *)a1;
        con.history = true;
        count = atoi(a2);
        rq.op_case = SKIFF__V1__REQUEST__OP_CONSOLE;
        rq.console = &con;
    } else if (strcmp(op, "events") == 0) {
        ev.since_seq = strtoull(a1, NULL, 10);
        count = atoi(a2);
        rq.op_case = SKIFF__V1__REQUEST__OP_EVENTS;
        rq.events = &ev;
    } else {
        static const struct {
            const char *name;
            Skiff__V1__Request__OpCase op;
        } refs[] = {
            { "info", SKIFF__V1__REQUEST__OP_INFO },
            { "start", SKIFF__V1__REQUEST__OP_START },
            { "destroy", SKIFF__V1__REQUEST__OP_DESTROY },
            { "pause", SKIFF__V1__REQUEST__OP_PAUSE },
            { "unpause", SKIFF__V1__REQUEST__OP_UNPAUSE },
            { "undefine", SKIFF__V1__REQUEST__OP_UNDEFINE },
            { "reboot", SKIFF__V1__REQUEST__OP_REBOOT },
        };
        size_t i;
        for (i = 0; i < sizeof refs / sizeof refs[0]; i++) {
            if (strcmp(op, refs[i].name) == 0)
                break;
        }
        if (i == sizeof refs / sizeof refs[0]) {
            fprintf(stderr, "rawclient: unknown directive '%s'\n", op);
            return 2;
        }
        rq.op_case = refs[i].op;
        /* Every DomainRef member of the oneof is at the same place. */
        rq.info = &ref;
    }
    return send_request(&rq, wait, count);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rawclient SOCKET DIRECTIVE...\n");
        return 2;
    }
    const char *t = getenv("RAWCLIENT_TIMEOUT_MS");
    if (t != NULL)
        timeout_ms = atoi(t);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(argv[1]) >= sizeof sun.sun_path) {
        fprintf(stderr, "rawclient: socket path too long\n");
        return 2;
    }
    strcpy(sun.sun_path, argv[1]);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        printf("CONNECT %s\n", strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = 0;
    for (int i = 2; i < argc && rc == 0; i++)
        rc = directive(argv[i]);
    close(fd);
    return rc;
}
