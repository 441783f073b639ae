/*
 * Core files of aborted guests: an ELF64 ET_CORE with one NT_PRSTATUS note
 * per vCPU (the one that aborted first, as debuggers take the first for
 * the current thread) and one PT_LOAD covering guest RAM, sparse: only
 * pages the guest touched are written. The directory is opened at set-up so that dumping needs no
 * path lookup once the sandbox is on.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/procfs.h>
#include <sys/user.h>
#include <unistd.h>

#include "dumpcore.h"
#include "log.h"

#define CORE_PAGE 4096

/* A note on disk: header, "CORE" padded to 8, then the descriptor at
 * offset 20. (A C struct would align the descriptor to 8, at 24.) */
#define NOTE_NAME_OFF sizeof(Elf64_Nhdr)
#define NOTE_DESC_OFF (NOTE_NAME_OFF + 8)
#define NOTE_SIZE (NOTE_DESC_OFF + sizeof(struct elf_prstatus))
_Static_assert(NOTE_SIZE % 4 == 0, "notes stay 4-aligned");

struct core_header {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
};      /* then the notes */

/* The other vCPUs were told to stop first: reading their registers waits
 * at most until they have left KVM_RUN. */
static void fill_regs(const struct hv_vcpu *v, struct user_regs_struct *r,
                      const struct hvt_trap_frame *frame)
{
    struct kvm_regs k;
    struct kvm_sregs s;
    int fd = v->fd;
    memset(r, 0, sizeof *r);
    if (ioctl(fd, KVM_GET_REGS, &k) == 0) {
        r->r15 = k.r15; r->r14 = k.r14; r->r13 = k.r13; r->r12 = k.r12;
        r->rbp = k.rbp; r->rbx = k.rbx; r->r11 = k.r11; r->r10 = k.r10;
        r->r9 = k.r9; r->r8 = k.r8; r->rax = k.rax; r->rcx = k.rcx;
        r->rdx = k.rdx; r->rsi = k.rsi; r->rdi = k.rdi; r->rip = k.rip;
        r->eflags = k.rflags; r->rsp = k.rsp;
    }
    if (ioctl(fd, KVM_GET_SREGS, &s) == 0) {
        r->cs = s.cs.selector; r->ss = s.ss.selector; r->ds = s.ds.selector;
        r->es = s.es.selector; r->fs = s.fs.selector; r->gs = s.gs.selector;
        r->fs_base = s.fs.base; r->gs_base = s.gs.base;
    }
    if (frame != NULL) {
        /* Where the guest trapped, not where it called HALT. */
        r->rip = frame->rip; r->cs = frame->cs; r->eflags = frame->rflags;
        r->rsp = frame->rsp; r->ss = frame->ss;
    }
}

static uint64_t data_offset(const struct hv *hv)
{
    uint64_t end = sizeof(struct core_header) + hv->nvcpus * NOTE_SIZE;
    return (end + CORE_PAGE - 1) & ~(uint64_t)(CORE_PAGE - 1);
}

static void build_header(const struct hv *hv, struct core_header *c)
{
    memset(c, 0, sizeof *c);
    memcpy(c->eh.e_ident, ELFMAG, SELFMAG);
    c->eh.e_ident[EI_CLASS] = ELFCLASS64;
    c->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    c->eh.e_ident[EI_VERSION] = EV_CURRENT;
    c->eh.e_ident[EI_OSABI] = ELFOSABI_STANDALONE;
    c->eh.e_type = ET_CORE;
    c->eh.e_machine = EM_X86_64;
    c->eh.e_version = EV_CURRENT;
    c->eh.e_phoff = offsetof(struct core_header, ph);
    c->eh.e_ehsize = sizeof c->eh;
    c->eh.e_phentsize = sizeof c->ph[0];
    c->eh.e_phnum = 2;

    c->ph[0].p_type = PT_NOTE;
    c->ph[0].p_offset = sizeof *c;
    c->ph[0].p_filesz = hv->nvcpus * NOTE_SIZE;
    c->ph[0].p_align = 4;
    c->ph[1].p_type = PT_LOAD;
    c->ph[1].p_flags = PF_R | PF_W | PF_X;
    c->ph[1].p_offset = data_offset(hv);
    c->ph[1].p_filesz = hv->mem.size;
    c->ph[1].p_memsz = hv->mem.size;
    c->ph[1].p_align = CORE_PAGE;
}

static void build_note(const struct hv *hv, const struct hv_vcpu *v, uint8_t *note,
                       const struct hvt_trap_frame *frame)
{
    Elf64_Nhdr h = { .n_namesz = 5, .n_descsz = sizeof(struct elf_prstatus),
                     .n_type = NT_PRSTATUS };
    struct elf_prstatus st;
    memset(&st, 0, sizeof st);
    /* Debuggers tell threads apart by pid: the vCPU thread's id. */
    st.pr_pid = v->tid > 0 ? v->tid : hv->dumpcore.pid;
    fill_regs(v, (struct user_regs_struct *)&st.pr_reg, frame);
    memset(note, 0, NOTE_SIZE);
    memcpy(note, &h, sizeof h);
    memcpy(note + NOTE_NAME_OFF, "CORE", 5);
    memcpy(note + NOTE_DESC_OFF, &st, sizeof st);
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        off += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The aborting vCPU's note first, with its trap frame; then the others. */
static int write_notes(struct hv *hv, int fd, const struct hvt_trap_frame *frame)
{
    const struct hv_vcpu *self = hv_vcpu_self();
    if (self == NULL)
        self = &hv->vcpus[0];
    uint8_t note[NOTE_SIZE];
    off_t off = sizeof(struct core_header);
    build_note(hv, self, note, frame);
    if (write_all(fd, note, sizeof note, off) < 0)
        return -1;
    for (unsigned i = 0; i < hv->nvcpus; i++) {
        if (&hv->vcpus[i] == self)
            continue;
        off += (off_t)sizeof note;
        build_note(hv, &hv->vcpus[i], note, NULL);
        if (write_all(fd, note, sizeof note, off) < 0)
            return -1;
    }
    return 0;
}

/* Copy the resident extents of the memfd: holes stay holes. Reading the
 * memfd, not the mapping, ignores the host protections of segments. */
static int copy_memory(struct hv *hv, int out, uint64_t *pages)
{
    static uint8_t buf[64 * 1024];
    off_t pos = 0, size = (off_t)hv->mem.size;
    while (pos < size) {
        off_t data = lseek(hv->mem.fd, pos, SEEK_DATA);
        if (data < 0)
            return errno == ENXIO ? 0 : -1;
        off_t hole = lseek(hv->mem.fd, data, SEEK_HOLE);
        if (hole < 0 || hole > size)
            hole = size;
        for (off_t o = data; o < hole;) {
            size_t chunk = (size_t)(hole - o) < sizeof buf ? (size_t)(hole - o) : sizeof buf;
            ssize_t n = pread(hv->mem.fd, buf, chunk, o);
            if (n <= 0)
                return -1;
            if (write_all(out, buf, (size_t)n, (off_t)data_offset(hv) + o) < 0)
                return -1;
            o += n;
            *pages += ((uint64_t)n + CORE_PAGE - 1) / CORE_PAGE;
        }
        pos = hole;
    }
    return 0;
}

void hv_dumpcore_write(struct hv *hv, const struct hvt_trap_frame *frame)
{
    char name[64];
    snprintf(name, sizeof name, "core.skiff-hv.%d", hv->dumpcore.pid);
    hv_err("dumpcore: dumping guest core to: %s/%s", hv->dumpcore.dir, name);
    int fd = openat(hv->dumpcore.dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        hv_err("dumpcore: cannot create %s: %m", name);
        return;
    }
    struct core_header hdr;
    build_header(hv, &hdr);
    uint64_t pages = 0;
    if (write_all(fd, &hdr, sizeof hdr, 0) < 0 || write_notes(hv, fd, frame) < 0 ||
        copy_memory(hv, fd, &pages) < 0 ||
        ftruncate(fd, (off_t)(data_offset(hv) + hv->mem.size)) < 0)
        hv_err("dumpcore: writing the core failed: %m");
    else
        hv_err("dumpcore: dumped %llu pages of total %llu pages",
               (unsigned long long)pages, (unsigned long long)(hv->mem.size / CORE_PAGE));
    close(fd);
}

static int dumpcore_option(struct hv *hv, const char *arg)
{
    const char *dir;
    if (strcmp(arg, "--dumpcore") == 0)
        dir = ".";
    else if (strncmp(arg, "--dumpcore=", 11) == 0 && arg[11] != '\0')
        dir = arg + 11;
    else
        return 1;
    if (strlen(dir) >= sizeof hv->dumpcore.dir) {
        hv_err("dumpcore: directory name too long");
        return -1;
    }
    snprintf(hv->dumpcore.dir, sizeof hv->dumpcore.dir, "%s", dir);
    return 0;
}

static int dumpcore_setup(struct hv *hv)
{
    if (hv->dumpcore.dir[0] == '\0')
        return 0;
    hv->dumpcore.dirfd = open(hv->dumpcore.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (hv->dumpcore.dirfd < 0) {
        hv_err("dumpcore: cannot open dir: %s: %m", hv->dumpcore.dir);
        return -1;
    }
    if (faccessat(hv->dumpcore.dirfd, ".", W_OK, 0) < 0) {
        hv_err("dumpcore: dir not writable: %s", hv->dumpcore.dir);
        return -1;
    }
    return 0;
}

const struct hv_module hv_module_dumpcore = {
    .name = "dumpcore",
    .usage = "  --dumpcore[=DIR] (write a core file to DIR, default ., when the guest aborts)\n",
    .option = dumpcore_option,
    .setup = dumpcore_setup,
};
