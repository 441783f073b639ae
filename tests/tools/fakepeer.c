/*
 * fakepeer: a destination that misbehaves, for migrate.bats. It listens
 * for one TLS connection on 127.0.0.1 (port chosen by the kernel, written
 * to PORTFILE), answers the Hello and the MigrateIn, then, by MODE:
 *   close    closes the connection after the first chunk of the stream;
 *   garbage  answers the first chunk with bytes that are no frame;
 *   stall    stops reading after the MigrateIn (the source times out).
 * Usage: fakepeer CERT KEY CA PORTFILE MODE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "skiff.pb-c.h"
#include "tls.h"

static int reply(SSL *ssl, uint64_t id)
{
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.id = id;
    Skiff__V1__ServerMessage sm = SKIFF__V1__SERVER_MESSAGE__INIT;
    sm.msg_case = SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE;
    sm.response = &r;
    return skiff_tls_frame_send(ssl, &sm.base);
}

static Skiff__V1__ClientMessage *next(SSL *ssl)
{
    uint8_t *body;
    uint32_t len;
    if (skiff_tls_frame_recv(ssl, SKIFF_FRAME_MAX, &body, &len) < 0)
        return NULL;
    Skiff__V1__ClientMessage *m = skiff__v1__client_message__unpack(NULL, len, body);
    free(body);
    return m;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: fakepeer CERT KEY CA PORTFILE close|garbage|stall\n");
        return 2;
    }
    const char *mode = argv[5];
    char err[512];
    SSL_CTX *ctx = skiff_tls_ctx_new(SKIFF_TLS_SERVER, argv[1], argv[2], argv[3], err,
                                     sizeof err);
    if (ctx == NULL) {
        fprintf(stderr, "fakepeer: %s\n", err);
        return 1;
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 1) < 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &sl) < 0) {
        perror("fakepeer: listen");
        return 1;
    }
    FILE *pf = fopen(argv[4], "w");
    if (pf == NULL || fprintf(pf, "%u\n", ntohs(sa.sin_port)) < 0 || fclose(pf) != 0) {
        perror("fakepeer: port file");
        return 1;
    }
    int fd = accept(ls, NULL, NULL);
    SSL *ssl = fd >= 0 ? SSL_new(ctx) : NULL;
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || skiff_tls_handshake(ssl, 30000) < 0) {
        fprintf(stderr, "fakepeer: no TLS client\n");
        return 1;
    }
    Skiff__V1__ClientMessage *m = next(ssl);
    if (m == NULL || m->msg_case != SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO)
        return 1;
    skiff__v1__client_message__free_unpacked(m, NULL);
    Skiff__V1__HelloReply hr = SKIFF__V1__HELLO_REPLY__INIT;
    hr.version = SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1;
    hr.server = (char *)"fakepeer";
    Skiff__V1__ServerMessage sm = SKIFF__V1__SERVER_MESSAGE__INIT;
    sm.msg_case = SKIFF__V1__SERVER_MESSAGE__MSG_HELLO;
    sm.hello = &hr;
    if (skiff_tls_frame_send(ssl, &sm.base) < 0)
        return 1;
    m = next(ssl);
    if (m == NULL || m->msg_case != SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST)
        return 1;
    uint64_t id = m->request->id;
    skiff__v1__client_message__free_unpacked(m, NULL);
    if (reply(ssl, id) < 0)
        return 1;
    fprintf(stderr, "fakepeer: migration accepted\n");
    if (strcmp(mode, "stall") == 0) {
        pause();                /* until killed */
        return 0;
    }
    m = next(ssl);
    if (m != NULL)
        skiff__v1__client_message__free_unpacked(m, NULL);
    if (strcmp(mode, "garbage") == 0) {
        static const uint8_t junk[] = { 0x00, 0x00, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff };
        skiff_tls_write_all(ssl, junk, sizeof junk);
        /* Read on until the source gives up. */
        while ((m = next(ssl)) != NULL)
            skiff__v1__client_message__free_unpacked(m, NULL);
    }
    SSL_free(ssl);
    close(fd);
    close(ls);
    SSL_CTX_free(ctx);
    return 0;
}
