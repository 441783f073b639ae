/*
 * A domain's snapshot file. Written to a temporary file in the target's
 * directory and renamed over it only when complete and on disk, so a
 * full disk or a crash never leaves a half-written snapshot under the
 * name asked for.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "save_restore.h"
#include "snapshot.h"
#include "util.h"

#define HVT_ABI_VERSION_RUN 2   /* the only hvt ABI skiff-hv runs */

static int write_all(struct snap_writer *w, const Skiff__V1__DomainConfig *cfg,
                     Skiff__Snapshot__V1__MachineState *m, const uint8_t *mem, int memfd,
                     uint64_t saved_at_ns)
{
    Skiff__Snapshot__V1__Header h = SKIFF__SNAPSHOT__V1__HEADER__INIT;
    h.format_version = SNAP_VERSION;
    h.skiff_version = (char *)PACKAGE_VERSION;
    h.arch = (char *)"x86_64";
    h.hvt_abi_version = HVT_ABI_VERSION_RUN;
    h.memory_bytes = m->memory_bytes;
    h.vcpu_count = (uint32_t)m->n_vcpus;
    h.config = (Skiff__V1__DomainConfig *)cfg;
    h.saved_at_ns = saved_at_ns;
    h.page_size = SNAP_PAGE;
    int rc = snap_write_msg(w, SNAP_REC_HEADER, &h.base);
    if (rc < 0)
        return rc;
    /* The vCPUs are records of their own (a file may hold hundreds). */
    size_t n = m->n_vcpus;
    m->n_vcpus = 0;
    rc = snap_write_msg(w, SNAP_REC_MACHINE, &m->base);
    m->n_vcpus = n;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = snap_write_msg(w, SNAP_REC_VCPU, &m->vcpus[i]->base);
    if (rc < 0)
        return rc;

    Skiff__Snapshot__V1__Devices dev = SKIFF__SNAPSHOT__V1__DEVICES__INIT;
    Skiff__Snapshot__V1__Attachment *att = calloc(cfg->n_disks + cfg->n_vifs + 1, sizeof *att);
    Skiff__Snapshot__V1__Attachment **pb = calloc(cfg->n_disks + 1, sizeof *pb);
    Skiff__Snapshot__V1__Attachment **pn = calloc(cfg->n_vifs + 1, sizeof *pn);
    if (att == NULL || pb == NULL || pn == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < cfg->n_disks; i++) {
        skiff__snapshot__v1__attachment__init(&att[i]);
        att[i].vdev = cfg->disks[i]->vdev;
        att[i].target = cfg->disks[i]->target;
        pb[i] = &att[i];
    }
    for (size_t i = 0; i < cfg->n_vifs; i++) {
        Skiff__Snapshot__V1__Attachment *a = &att[cfg->n_disks + i];
        skiff__snapshot__v1__attachment__init(a);
        a->vdev = cfg->vifs[i]->vdev;
        a->target = cfg->vifs[i]->tap;
        pn[i] = a;
    }
    dev.n_block = cfg->n_disks;
    dev.block = pb;
    dev.n_net = cfg->n_vifs;
    dev.net = pn;
    rc = snap_write_msg(w, SNAP_REC_DEVICES, &dev.base);
    if (rc == 0)
        rc = snap_write_memory(w, mem, m->memory_bytes, memfd);
    if (rc == 0)
        rc = snap_write_end(w);
out:
    free(att);
    free(pb);
    free(pn);
    return rc;
}

static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int snapshot_file_write(const char *path, const Skiff__V1__DomainConfig *cfg,
                        Skiff__Snapshot__V1__MachineState *machine, const uint8_t *mem,
                        int memfd, uint64_t saved_at_ns, struct snapshot_totals *out,
                        char *err, size_t errsize)
{
    char *copy = strdup(path);
    char *tmp = copy ? xasprintf("%s/.%s.XXXXXX", dirname(copy), basename((char *)path))
                     : NULL;
    free(copy);
    if (tmp == NULL) {
        snprintf(err, errsize, "out of memory");
        return -ENOMEM;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        snprintf(err, errsize, "cannot create a file beside %s: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    struct snap_writer w;
    int rc = snap_write_begin(&w, snap_fd_sink, &fd);
    if (rc == 0)
        rc = write_all(&w, cfg, machine, mem, memfd, saved_at_ns);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        snprintf(err, errsize, "cannot write %s: %s", path, strerror(-rc));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    sync_dir(path);
    free(tmp);
    out->file_bytes = w.off;
    out->memory_pages = w.pages;
    return 0;
}
