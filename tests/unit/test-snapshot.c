/*
 * Snapshot files: a written image reads back the same; sparse memory
 * skips zero pages and memfd holes; every truncation, flipped byte,
 * foreign magic, other version or architecture and hostile length is
 * refused with a message naming the problem, never a crash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "snapshot.h"

#define MEM (4U << 20)

struct fixture {
    int fd;             /* the snapshot, a memfd */
    uint8_t *mem;       /* guest RAM written into it */
    int memfd;
    size_t size;        /* of the snapshot */
};

static void put_u64(uint8_t *p, uint64_t v) { snap_put64(p, v); }

/* Write a snapshot of 2 vCPUs and MEM bytes with three non-zero areas. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->memfd = memfd_create("ram", 0);
    assert_int_equal(ftruncate(f->memfd, MEM), 0);
    f->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
    assert_true(f->mem != MAP_FAILED);
    memset(f->mem + 0x1000, 0x11, 3 * 4096);                /* a run of 3 pages */
    memset(f->mem + (2U << 20), 0x22, (SNAP_CHUNK_MAX_PAGES + 5) * 4096);  /* > one chunk */
    f->mem[MEM - 1] = 0x33;                                 /* the last page */
    memset(f->mem + 0x10000, 0, 4096);                      /* touched but zero */

    Skiff__V1__DomainConfig cfg = SKIFF__V1__DOMAIN_CONFIG__INIT;
    cfg.name = (char *)"unit";
    cfg.memory_mb = MEM >> 20;
    Skiff__Snapshot__V1__Header h = SKIFF__SNAPSHOT__V1__HEADER__INIT;
    h.format_version = SNAP_VERSION;
    h.arch = (char *)"x86_64";
    h.memory_bytes = MEM;
    h.vcpu_count = 2;
    h.config = &cfg;
    h.page_size = SNAP_PAGE;
    Skiff__Snapshot__V1__MachineState m = SKIFF__SNAPSHOT__V1__MACHINE_STATE__INIT;
    m.memory_bytes = MEM;
    m.tsc_khz = 2000000;
    Skiff__Snapshot__V1__VcpuState v[2];
    uint8_t regs[144];
    memset(regs, 0x5a, sizeof regs);
    for (int i = 0; i < 2; i++) {
        skiff__snapshot__v1__vcpu_state__init(&v[i]);
        v[i].index = (uint32_t)i;
        v[i].regs.data = regs;
        v[i].regs.len = sizeof regs;
    }
    Skiff__Snapshot__V1__Devices dev = SKIFF__SNAPSHOT__V1__DEVICES__INIT;

    f->fd = memfd_create("snap", 0);
    struct snap_writer w;
    assert_int_equal(snap_write_begin(&w, snap_fd_sink, &f->fd), 0);
    assert_int_equal(snap_write_msg(&w, SNAP_REC_HEADER, &h.base), 0);
    assert_int_equal(snap_write_msg(&w, SNAP_REC_MACHINE, &m.base), 0);
    assert_int_equal(snap_write_msg(&w, SNAP_REC_VCPU, &v[0].base), 0);
    assert_int_equal(snap_write_msg(&w, SNAP_REC_VCPU, &v[1].base), 0);
    assert_int_equal(snap_write_msg(&w, SNAP_REC_DEVICES, &dev.base), 0);
    assert_int_equal(snap_write_memory(&w, f->mem, MEM, f->memfd), 0);
    /* Without a mapping, from the memfd alone: the same records. */
    int other = memfd_create("snap2", 0);
    struct snap_writer w2 = w;
    w2.ctx = &other;
    w2.off = w2.records = w2.chunks = w2.pages = 0;
    assert_int_equal(snap_write_memory(&w2, NULL, MEM, f->memfd), 0);
    assert_int_equal(w2.pages, 3 + SNAP_CHUNK_MAX_PAGES + 5 + 1);
    assert_int_equal(w2.chunks, 4);
    close(other);
    assert_int_equal(snap_write_end(&w), 0);
    assert_int_equal(w.pages, 3 + SNAP_CHUNK_MAX_PAGES + 5 + 1);
    assert_int_equal(w.chunks, 4);
    f->size = (size_t)w.off;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    munmap(f->mem, MEM);
    close(f->memfd);
    close(f->fd);
    free(f);
    return 0;
}

static uint8_t *load_file(int fd, size_t size)
{
    uint8_t *b = malloc(size);
    assert_non_null(b);
    assert_int_equal(pread(fd, b, size, 0), (ssize_t)size);
    return b;
}

/* A memfd holding bytes b[0..n). */
static int make_file(const uint8_t *b, size_t n)
{
    int fd = memfd_create("variant", 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    return fd;
}

/* Read it all; returns the first error, with the message in err. */
static int read_all(int fd, char *err, size_t es)
{
    struct snap_image img;
    int rc = snap_read_meta(fd, &img, err, es);
    if (rc < 0)
        return rc;
    uint8_t *mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    rc = snap_read_memory(fd, &img, mem, -1, MEM, err, es);
    munmap(mem, MEM);
    snap_image_free(&img);
    return rc;
}

static void round_trip(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    struct snap_image img;
    assert_int_equal(snap_read_meta(f->fd, &img, err, sizeof err), 0);
    assert_string_equal(img.header->config->name, "unit");
    assert_int_equal(img.header->memory_bytes, MEM);
    assert_int_equal(img.machine->n_vcpus, 2);
    assert_int_equal(img.machine->vcpus[1]->index, 1);
    assert_int_equal(img.machine->vcpus[1]->regs.len, 144);
    assert_int_equal(img.machine->tsc_khz, 2000000);
    uint8_t *mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_int_equal(snap_read_memory(f->fd, &img, mem, -1, MEM, err, sizeof err), 0);
    assert_memory_equal(mem, f->mem, MEM);
    munmap(mem, MEM);
    /* The same into a fresh memfd, as a restore does. */
    int memfd = memfd_create("restored", 0);
    assert_int_equal(ftruncate(memfd, MEM), 0);
    assert_int_equal(snap_read_memory(f->fd, &img, NULL, memfd, MEM, err, sizeof err), 0);
    mem = mmap(NULL, MEM, PROT_READ, MAP_SHARED, memfd, 0);
    assert_memory_equal(mem, f->mem, MEM);
    munmap(mem, MEM);
    close(memfd);
    snap_image_free(&img);
    /* Sparse: about the non-zero pages, not the 4 MiB. */
    assert_true(f->size < (3 + SNAP_CHUNK_MAX_PAGES + 5 + 1 + 4) * 4096);
}

static void crc32c_known_value(void **state)
{
    (void)state;
    /* The standard check value of CRC-32C. */
    assert_int_equal(snap_crc32c(0, "123456789", 9), 0xe3069283);
    /* Incremental equals one pass. */
    assert_int_equal(snap_crc32c(snap_crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
    /* Long buffers (checksummed in three lanes at once) agree with the
     * same bytes fed a few at a time (one lane), at every length around
     * the lanes' block. */
    enum { LONG = 3 * 4096 * 5 + 77 };
    uint8_t *b = malloc(LONG);
    assert_non_null(b);
    for (size_t i = 0; i < LONG; i++)
        b[i] = (uint8_t)(i * 2654435761U >> 13);
    const size_t lens[] = { 3 * 4096 - 1, 3 * 4096, 3 * 4096 + 1, 2 * 3 * 4096 + 8, LONG };
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        uint32_t piecewise = 0x1234;
        for (size_t off = 0; off < lens[k]; off += 7)
            piecewise = snap_crc32c(piecewise, b + off, lens[k] - off < 7 ? lens[k] - off : 7);
        assert_int_equal(snap_crc32c(0x1234, b, lens[k]), piecewise);
    }
    free(b);
}

static void every_truncation_is_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t *b = load_file(f->fd, f->size);
    char err[256];
    /* Every length through the records before memory, then a stride, and
     * every length inside the trailer and footer. */
    for (size_t n = 0; n < f->size; n += n < 1024 || n > f->size - 128 ? 1 : 997) {
        int fd = make_file(b, n);
        err[0] = '\0';
        assert_true(read_all(fd, err, sizeof err) < 0);
        assert_non_null(strstr(err, "truncated"));
        assert_non_null(strstr(err, "offset"));
        close(fd);
    }
    free(b);
}

static void every_flipped_byte_is_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t *b = load_file(f->fd, f->size);
    char err[256];
    /* Every byte of the records before memory and of the end, then a
     * stride through memory. */
    for (size_t i = 0; i < f->size; i += i < 1024 || i > f->size - 128 ? 1 : 997) {
        uint8_t old = b[i];
        b[i] ^= 0x40;
        int fd = make_file(b, f->size);
        err[0] = '\0';
        int rc = read_all(fd, err, sizeof err);
        if (rc == 0)
            fail_msg("a flipped byte at offset %zu was not noticed", i);
        assert_true(err[0] != '\0');
        close(fd);
        b[i] = old;
    }
    free(b);
}

static void foreign_and_versions(void **state)
{
    struct fixture *f = *state;
    uint8_t *b = load_file(f->fd, f->size);
    char err[256];
    struct snap_image img;
    b[0] = 'X';
    int fd = make_file(b, f->size);
    assert_int_equal(snap_read_meta(fd, &img, err, sizeof err), -EPROTO);
    assert_string_equal(err, "not a Skiff snapshot (bad magic at offset 0)");
    close(fd);
    b[0] = 'S';
    snap_put32(b + 8, 2);
    fd = make_file(b, f->size);
    assert_int_equal(snap_read_meta(fd, &img, err, sizeof err), -EPROTO);
    assert_non_null(strstr(err, "unsupported snapshot format version 2"));
    close(fd);
    snap_put32(b + 8, SNAP_VERSION);
    snap_put32(b + 12, 183);
    fd = make_file(b, f->size);
    assert_int_equal(snap_read_meta(fd, &img, err, sizeof err), -EPROTO);
    assert_non_null(strstr(err, "another architecture"));
    close(fd);
    free(b);
}

/* A record claiming a huge length (with a valid checksum) is refused
 * by its bound, before any allocation. */
static void hostile_lengths(void **state)
{
    struct fixture *f = *state;
    uint8_t *b = load_file(f->fd, f->size);
    char err[256];
    struct snap_image img;
    uint8_t *rec = b + SNAP_FILE_HEADER;     /* the HEADER record */
    put_u64(rec + 8, UINT64_MAX - 7);
    uint8_t c[12];
    memcpy(c, rec, 4);
    memcpy(c + 4, rec + 8, 8);
    snap_put32(rec + 4, snap_crc32c(0, c, 12));
    int fd = make_file(b, f->size);
    assert_int_equal(snap_read_meta(fd, &img, err, sizeof err), -EPROTO);
    assert_non_null(strstr(err, "claims"));
    close(fd);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_known_value),
        cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(every_truncation_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(every_flipped_byte_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(foreign_and_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_lengths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
