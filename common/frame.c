#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"

void skiff_frame_header(uint8_t hdr[SKIFF_FRAME_HEADER], uint32_t len)
{
    hdr[0] = (uint8_t)(len >> 24);
    hdr[1] = (uint8_t)(len >> 16);
    hdr[2] = (uint8_t)(len >> 8);
    hdr[3] = (uint8_t)len;
}

int skiff_frame_length(const uint8_t hdr[SKIFF_FRAME_HEADER], uint32_t max, uint32_t *len)
{
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 |
                 hdr[3];
    if (n > max)
        return -1;
    *len = n;
    return 0;
}

uint8_t *skiff_frame_pack(const ProtobufCMessage *msg, size_t *size)
{
    size_t body = protobuf_c_message_get_packed_size(msg);
    if (body > SKIFF_FRAME_MAX)
        return NULL;
    uint8_t *buf = malloc(SKIFF_FRAME_HEADER + body);
    if (buf == NULL)
        return NULL;
    skiff_frame_header(buf, (uint32_t)body);
    protobuf_c_message_pack(msg, buf + SKIFF_FRAME_HEADER);
    *size = SKIFF_FRAME_HEADER + body;
    return buf;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        /* MSG_NOSIGNAL: a vanished peer is an error, not a SIGPIPE. */
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == ENOTSOCK)
            w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int skiff_frame_send(int fd, const ProtobufCMessage *msg)
{
    size_t size;
    uint8_t *buf = skiff_frame_pack(msg, &size);
    if (buf == NULL)
        return -ENOMEM;
    int rc = write_all(fd, buf, size);
    free(buf);
    return rc;
}

/* Read exactly n bytes; 0 on success, 1 on EOF before the first byte. */
static int read_all(int fd, uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return got == 0 ? 1 : -EPROTO;
        got += (size_t)r;
    }
    return 0;
}

int skiff_frame_recv(int fd, uint32_t max, uint8_t **body, uint32_t *len)
{
    uint8_t hdr[SKIFF_FRAME_HEADER];
    int rc = read_all(fd, hdr, sizeof hdr);
    if (rc == 1)
        return -EPIPE;
    if (rc < 0)
        return rc;
    uint32_t n;
    if (skiff_frame_length(hdr, max, &n) < 0)
        return -EMSGSIZE;
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return -ENOMEM;
    rc = read_all(fd, buf, n);
    if (rc != 0) {
        free(buf);
        return rc == 1 ? -EPROTO : rc;
    }
    *body = buf;
    *len = n;
    return 0;
}
