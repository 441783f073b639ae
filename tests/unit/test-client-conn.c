/*
 * libskiff against a scripted fake hostd on a real UNIX socket: the
 * version exchange, conversions, error mapping, and responses for other
 * ids (stream messages) arriving while a synchronous call waits.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "frame.h"
#include "skiff.pb-c.h"
#include "skiff/skiff.h"

struct fake {
    char dir[64];
    char uri[128];
    int lfd;
    pthread_t thread;
    void (*script)(int fd);
};

static Skiff__V1__ClientMessage *srv_recv(int fd)
{
    uint8_t *body;
    uint32_t len;
    if (skiff_frame_recv(fd, SKIFF_FRAME_MAX, &body, &len) < 0)
        return NULL;
    Skiff__V1__ClientMessage *m = skiff__v1__client_message__unpack(NULL, len, body);
    free(body);
    return m;
}

static Skiff__V1__Request *srv_request(int fd, Skiff__V1__ClientMessage **hold)
{
    *hold = srv_recv(fd);
    assert_non_null(*hold);
    assert_int_equal((*hold)->msg_case, SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST);
    return (*hold)->request;
}

static void srv_send(int fd, Skiff__V1__Response *r)
{
    Skiff__V1__ServerMessage m = SKIFF__V1__SERVER_MESSAGE__INIT;
    m.msg_case = SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE;
    m.response = r;
    assert_int_equal(skiff_frame_send(fd, &m.base), 0);
}

static void srv_hello(int fd, Skiff__V1__Error *refuse)
{
    Skiff__V1__ClientMessage *m = srv_recv(fd);
    assert_non_null(m);
    assert_int_equal(m->msg_case, SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO);
    assert_int_equal(m->hello->version, SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1);
    assert_non_null(strstr(m->hello->client, "libskiff"));
    skiff__v1__client_message__free_unpacked(m, NULL);
    Skiff__V1__HelloReply hr = SKIFF__V1__HELLO_REPLY__INIT;
    Skiff__V1__ServerMessage sm = SKIFF__V1__SERVER_MESSAGE__INIT;
    hr.version = SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1;
    hr.server = (char *)"hostd test";
    hr.error = refuse;
    sm.msg_case = SKIFF__V1__SERVER_MESSAGE__MSG_HELLO;
    sm.hello = &hr;
    assert_int_equal(skiff_frame_send(fd, &sm.base), 0);
}

static void *serve(void *arg)
{
    struct fake *f = arg;
    int fd = accept(f->lfd, NULL, NULL);
    if (fd >= 0) {
        f->script(fd);
        close(fd);
    }
    return NULL;
}

static struct fake *fake_start(void (*script)(int fd))
{
    struct fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/skiff-test-conn-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/hostd.sock", f->dir);
    snprintf(f->uri, sizeof f->uri, "unix://%s", sa.sun_path);
    f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(f->lfd >= 0);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(f->lfd, 1), 0);
    f->script = script;
    assert_int_equal(pthread_create(&f->thread, NULL, serve, f), 0);
    return f;
}

static void fake_stop(struct fake *f)
{
    pthread_join(f->thread, NULL);
    close(f->lfd);
    char path[128];
    snprintf(path, sizeof path, "%s/hostd.sock", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
}

/* ---- scripts ---- */

static void script_list(int fd)
{
    srv_hello(fd, NULL);
    Skiff__V1__ClientMessage *hold;
    Skiff__V1__Request *req = srv_request(fd, &hold);
    assert_int_equal(req->op_case, SKIFF__V1__REQUEST__OP_LIST);
    assert_true(req->list->all);

    Skiff__V1__DomainConfig c = SKIFF__V1__DOMAIN_CONFIG__INIT;
    c.name = (char *)"web";
    c.memory_mb = 32;
    c.vcpus = 2;
    c.kernel = (char *)"/srv/web.hvt";
    c.on_crash = SKIFF__V1__LIFECYCLE_ACTION__PRESERVE;
    Skiff__V1__Disk disk = SKIFF__V1__DISK__INIT, *disks[] = { &disk };
    disk.target = (char *)"/img/a";
    disk.vdev = (char *)"storage";
    c.n_disks = 1;
    c.disks = disks;
    Skiff__V1__DomainInfo d1 = SKIFF__V1__DOMAIN_INFO__INIT, d2 = SKIFF__V1__DOMAIN_INFO__INIT;
    d1.uuid = (char *)"11111111-2222-3333-4444-555555555555";
    d1.name = (char *)"web";
    d1.id = 7;
    d1.state = SKIFF__V1__DOMAIN_STATE__RUNNING;
    d1.config = &c;
    d1.pid = 1234;
    d2.uuid = (char *)"66666666-2222-3333-4444-555555555555";
    d2.name = (char *)"db";
    d2.state = SKIFF__V1__DOMAIN_STATE__DEFINED;
    d2.persistent = true;
    Skiff__V1__DomainInfo *ds[] = { &d1, &d2 };
    Skiff__V1__DomainList dl = SKIFF__V1__DOMAIN_LIST__INIT;
    dl.n_domains = 2;
    dl.domains = ds;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.id = req->id;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_DOMAINS;
    r.domains = &dl;
    srv_send(fd, &r);
    skiff__v1__client_message__free_unpacked(hold, NULL);
}

static void list_converts(void **state)
{
    struct fake *f = fake_start(script_list);
    struct skiff_conn *c;
    struct skiff_error e;
    assert_int_equal(skiff_connect(f->uri, &c, &e), 0);
    assert_string_equal(skiff_conn_server(c), "hostd test");
    assert_string_equal(skiff_conn_uri(c), f->uri);
    struct skiff_domain_info *list;
    size_t n;
    assert_int_equal(skiff_list(c, true, &list, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "web");
    assert_string_equal(list[0].uuid, "11111111-2222-3333-4444-555555555555");
    assert_int_equal(list[0].id, 7);
    assert_int_equal(list[0].state, SKIFF_STATE_RUNNING);
    assert_int_equal(list[0].pid, 1234);
    assert_int_equal(list[0].config.memory_mb, 32);
    assert_int_equal(list[0].config.vcpus, 2);
    assert_string_equal(list[0].config.kernel, "/srv/web.hvt");
    assert_int_equal(list[0].config.on_crash, SKIFF_ACTION_PRESERVE);
    assert_int_equal(list[0].config.n_disks, 1);
    assert_string_equal(list[0].config.disks[0].vdev, "storage");
    assert_int_equal(list[1].state, SKIFF_STATE_DEFINED);
    assert_true(list[1].persistent);
    assert_int_equal(list[1].config.n_disks, 0);
    skiff_domain_list_free(list, n);
    skiff_close(c);
    fake_stop(f);
}

static void script_errors(int fd)
{
    srv_hello(fd, NULL);
    Skiff__V1__ClientMessage *hold;
    Skiff__V1__Request *req = srv_request(fd, &hold);
    assert_int_equal(req->op_case, SKIFF__V1__REQUEST__OP_INFO);
    assert_string_equal(req->info->domain, "nosuch");
    Skiff__V1__Error err = SKIFF__V1__ERROR__INIT;
    err.code = SKIFF__V1__ERROR_CODE__NOT_FOUND;
    err.message = (char *)"no domain named 'nosuch'";
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.id = req->id;
    r.error = &err;
    srv_send(fd, &r);
    skiff__v1__client_message__free_unpacked(hold, NULL);

    req = srv_request(fd, &hold);
    assert_int_equal(req->op_case, SKIFF__V1__REQUEST__OP_PAUSE);
    err.code = SKIFF__V1__ERROR_CODE__DENIED;
    err.message = (char *)"denied";
    err.decision = (char *)"avc: denied { pause }";
    r.id = req->id;
    srv_send(fd, &r);
    skiff__v1__client_message__free_unpacked(hold, NULL);

    /* Then hang up in the middle of the next call. */
    req = srv_request(fd, &hold);
    assert_int_equal(req->op_case, SKIFF__V1__REQUEST__OP_SHUTDOWN);
    assert_true(req->shutdown->wait);
    assert_int_equal(req->shutdown->grace_ms, 5000);
    skiff__v1__client_message__free_unpacked(hold, NULL);
}

static void errors_map(void **state)
{
    struct fake *f = fake_start(script_errors);
    struct skiff_conn *c;
    struct skiff_error e;
    assert_int_equal(skiff_connect(f->uri, &c, &e), 0);
    struct skiff_domain_info d;
    assert_int_equal(skiff_info(c, "nosuch", &d, &e), -SKIFF_ERR_NOT_FOUND);
    assert_int_equal(e.code, SKIFF_ERR_NOT_FOUND);
    assert_string_equal(e.message, "no domain named 'nosuch'");
    assert_int_equal(skiff_pause(c, "web", &e), -SKIFF_ERR_DENIED);
    assert_string_equal(e.decision, "avc: denied { pause }");
    assert_int_equal(skiff_shutdown(c, "web", true, 5000, &e), -SKIFF_ERR_IO);
    assert_int_equal(e.code, SKIFF_ERR_IO);
    /* The connection stays failed, with a clear message. */
    assert_int_equal(skiff_destroy(c, "web", &e), -SKIFF_ERR_IO);
    assert_non_null(strstr(e.message, "gone"));
    /* Arguments are checked before anything is sent. */
    assert_int_equal(skiff_pause(c, "", &e), -SKIFF_ERR_USAGE);
    assert_int_equal(skiff_pause(c, NULL, NULL), -SKIFF_ERR_USAGE);
    skiff_close(c);
    fake_stop(f);
}

static void send_event(int fd, uint64_t id, uint64_t seq, const char *kind, bool more)
{
    Skiff__V1__Event ev = SKIFF__V1__EVENT__INIT;
    ev.seq = seq;
    ev.kind = (char *)kind;
    ev.domain_name = (char *)"web";
    ev.state = SKIFF__V1__DOMAIN_STATE__PAUSED;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.id = id;
    r.more = more;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_EVENT;
    r.event = &ev;
    srv_send(fd, &r);
}

static void script_interleave(int fd)
{
    srv_hello(fd, NULL);
    Skiff__V1__ClientMessage *h1, *h2;
    Skiff__V1__Request *ev = srv_request(fd, &h1);
    assert_int_equal(ev->op_case, SKIFF__V1__REQUEST__OP_EVENTS);
    assert_int_equal(ev->events->since_seq, 5);
    Skiff__V1__Request *p = srv_request(fd, &h2);
    assert_int_equal(p->op_case, SKIFF__V1__REQUEST__OP_PAUSE);
    assert_true(p->id != ev->id);
    /* Stream messages first, then the pause's reply, then more stream. */
    send_event(fd, ev->id, 6, "started", true);
    send_event(fd, 999, 0, "for nobody", true);     /* an unknown id: dropped */
    send_event(fd, ev->id, 7, "paused", true);
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.id = p->id;
    srv_send(fd, &r);
    send_event(fd, ev->id, 8, "destroyed", false);
    skiff__v1__client_message__free_unpacked(h1, NULL);
    skiff__v1__client_message__free_unpacked(h2, NULL);
}

static void stream_messages_wait_for_their_reader(void **state)
{
    struct fake *f = fake_start(script_interleave);
    struct skiff_conn *c;
    struct skiff_error e;
    assert_int_equal(skiff_connect(f->uri, &c, &e), 0);
    struct skiff_events *evs;
    assert_int_equal(skiff_events_open(c, 5, &evs, &e), 0);
    assert_false(skiff_events_pending(evs));
    assert_int_equal(skiff_pause(c, "web", &e), 0);
    /* Two events arrived while pause waited: they are held, in order. */
    assert_true(skiff_events_pending(evs));
    struct skiff_event ev;
    assert_int_equal(skiff_events_next(evs, &ev, &e), 1);
    assert_int_equal(ev.seq, 6);
    assert_string_equal(ev.kind, "started");
    assert_int_equal(ev.state, SKIFF_STATE_PAUSED);
    skiff_event_clear(&ev);
    assert_int_equal(skiff_events_next(evs, &ev, &e), 1);
    assert_int_equal(ev.seq, 7);
    skiff_event_clear(&ev);
    assert_false(skiff_events_pending(evs));
    assert_int_equal(skiff_events_next(evs, &ev, &e), 1);
    assert_int_equal(ev.seq, 8);
    skiff_event_clear(&ev);
    /* more = false ended the stream. */
    assert_int_equal(skiff_events_next(evs, &ev, &e), 0);
    skiff_events_close(evs);
    skiff_close(c);
    fake_stop(f);
}

static void send_console(int fd, uint64_t id, const char *text, bool more)
{
    Skiff__V1__ConsoleData cd = SKIFF__V1__CONSOLE_DATA__INIT;
    cd.data.data = (uint8_t *)text;
    cd.data.len = strlen(text);
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.id = id;
    r.more = more;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_CONSOLE;
    r.console = &cd;
    srv_send(fd, &r);
}

static void script_console(int fd)
{
    srv_hello(fd, NULL);
    Skiff__V1__ClientMessage *h;
    Skiff__V1__Request *req = srv_request(fd, &h);
    assert_int_equal(req->op_case, SKIFF__V1__REQUEST__OP_CONSOLE);
    assert_string_equal(req->console->domain, "web");
    assert_true(req->console->history);
    uint64_t id = req->id;
    skiff__v1__client_message__free_unpacked(h, NULL);
    /* An acknowledgement without data, then output. */
    Skiff__V1__Response ack = SKIFF__V1__RESPONSE__INIT;
    ack.id = id;
    ack.more = true;
    srv_send(fd, &ack);
    send_console(fd, id, "tick 1\ntick 2\n", true);
    Skiff__V1__ClientMessage *in = srv_recv(fd);
    assert_non_null(in);
    assert_int_equal(in->msg_case, SKIFF__V1__CLIENT_MESSAGE__MSG_CONSOLE_INPUT);
    assert_int_equal(in->console_input->data.len, 3);
    assert_memory_equal(in->console_input->data.data, "hi\n", 3);
    skiff__v1__client_message__free_unpacked(in, NULL);
    send_console(fd, id, "bye\n", false);
}

static void console_reads_in_pieces(void **state)
{
    struct fake *f = fake_start(script_console);
    struct skiff_conn *c;
    struct skiff_error e;
    assert_int_equal(skiff_connect(f->uri, &c, &e), 0);
    struct skiff_console *con;
    assert_int_equal(skiff_console_open(c, "web", SKIFF_CONSOLE_HISTORY, &con, &e), 0);
    assert_true(skiff_console_fd(con) >= 0);
    char buf[8];
    assert_int_equal(skiff_console_read(con, buf, 7, &e), 7);
    assert_memory_equal(buf, "tick 1\n", 7);
    assert_true(skiff_console_pending(con));
    assert_int_equal(skiff_console_read(con, buf, sizeof buf, &e), 7);
    assert_memory_equal(buf, "tick 2\n", 7);
    assert_int_equal(skiff_console_write(con, "hi\n", 3, &e), 0);
    assert_int_equal(skiff_console_read(con, buf, sizeof buf, &e), 4);
    assert_memory_equal(buf, "bye\n", 4);
    assert_int_equal(skiff_console_read(con, buf, sizeof buf, &e), 0);
    skiff_console_close(con);
    skiff_close(c);
    fake_stop(f);
}

static void script_refuse(int fd)
{
    Skiff__V1__Error err = SKIFF__V1__ERROR__INIT;
    err.code = SKIFF__V1__ERROR_CODE__PROTOCOL;
    err.message = (char *)"unsupported protocol version 1";
    srv_hello(fd, &err);
}

static void hello_refused(void **state)
{
    struct fake *f = fake_start(script_refuse);
    struct skiff_conn *c = (void *)1;
    struct skiff_error e;
    assert_int_equal(skiff_connect(f->uri, &c, &e), -SKIFF_ERR_PROTOCOL);
    assert_null(c);
    assert_string_equal(e.message, "unsupported protocol version 1");
    fake_stop(f);
}

static void no_hostd(void **state)
{
    struct skiff_conn *c;
    struct skiff_error e;
    assert_int_equal(skiff_connect("unix:///nonexistent/skiff/hostd.sock", &c, &e),
                     -SKIFF_ERR_CONNECT);
    assert_int_equal(e.sys_errno, ENOENT);
    assert_non_null(strstr(e.message, "unix:///nonexistent/skiff/hostd.sock"));
    /* NULL means $SKIFF_URI. */
    setenv("SKIFF_URI", "unix:///nonexistent/other.sock", 1);
    assert_int_equal(skiff_connect(NULL, &c, &e), -SKIFF_ERR_CONNECT);
    assert_non_null(strstr(e.message, "/nonexistent/other.sock"));
    unsetenv("SKIFF_URI");
    /* tls:// looks for its certificate first, and says which file is missing. */
    setenv("SKIFF_TLS_CERT", "/nonexistent/client.pem", 1);
    assert_int_equal(skiff_connect("tls://h:1", &c, &e), -SKIFF_ERR_CONNECT);
    assert_non_null(strstr(e.message, "cannot read certificate /nonexistent/client.pem"));
    unsetenv("SKIFF_TLS_CERT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_converts),
        cmocka_unit_test(errors_map),
        cmocka_unit_test(stream_messages_wait_for_their_reader),
        cmocka_unit_test(console_reads_in_pieces),
        cmocka_unit_test(hello_refused),
        cmocka_unit_test(no_hostd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
