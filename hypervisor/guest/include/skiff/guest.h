/*
 * libskiff-guest: a small runtime for unikernels written in C against the
 * hvt guest ABI (version 2).
 *
 * An application provides skiff_main() and one manifest declaration (see
 * skiff/manifest.h), links with skiff-guest.ld and libskiff-guest.a, and
 * runs under skiff-hv or any other hvt monitor. There is no libc: this
 * header is the whole API.
 */
#ifndef SKIFF_GUEST_H
#define SKIFF_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "hvt_abi.h"
#include "skiff/manifest.h"

/* ------------------------------------------------------------------------
 * Entry point and exit
 */

/* The application's entry point. CMDLINE is the monitor's command line with
 * leading whitespace and log-level tokens (--skiff:LEVEL or --solo5:LEVEL)
 * removed; it is never NULL. The return value becomes the exit status. */
int skiff_main(const char *cmdline);

/* Stop the guest with STATUS (0 success, 1 failure, up to 254). */
_Noreturn void skiff_exit(int status);

/* Print "Skiff: ABORT: <message>" and stop the guest with status 255. */
_Noreturn void skiff_abort(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Abort with the location of a failed condition. */
#define SKIFF_ASSERT(e)                                                       \
    do {                                                                      \
        if (!(e))                                                             \
            skiff_abort("%s:%d: assertion `%s' failed", __FILE__, __LINE__,   \
                        #e);                                                  \
    } while (0)

/* The boot information the monitor passed at entry (read-only memory). */
const struct hvt_boot_info *skiff_boot_info(void);

/* ------------------------------------------------------------------------
 * Results of device and clock calls (the ABI's solo5_result_t)
 */
typedef enum hvt_result skiff_result_t;
#define SKIFF_R_OK      HVT_R_OK      /* success */
#define SKIFF_R_AGAIN   HVT_R_AGAIN   /* nothing available now, try later */
#define SKIFF_R_EINVAL  HVT_R_EINVAL  /* invalid argument or handle */
#define SKIFF_R_EUNSPEC HVT_R_EUNSPEC /* unspecified error */

/* ------------------------------------------------------------------------
 * Console and logging
 */

/* Write LEN bytes to the console with one PUTS hypercall. */
void skiff_console_write(const char *buf, size_t len);

/* Write a NUL-terminated string to the console (no newline added). */
void skiff_puts(const char *s);

/* printf to the console. Conversions: %d %i %u %x %X %o %p %c %s %%, with
 * flags '-' and '0', a width (or '*'), a precision for %s, and the length
 * modifiers hh h l ll z. No floating point. Returns the characters written. */
int skiff_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int skiff_vprintf(const char *fmt, va_list ap);

/* Format into BUF of SIZE bytes, always NUL-terminated when SIZE > 0.
 * Returns the length the full output would have had. */
int skiff_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int skiff_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Runtime log levels, chosen by a leading --skiff:LEVEL (or --solo5:LEVEL)
 * token on the command line; the default is INFO. QUIET silences the
 * runtime completely, aborts included (the exit status still tells). */
enum skiff_log_level {
    SKIFF_LOG_QUIET = 0,
    SKIFF_LOG_ERROR = 1,
    SKIFF_LOG_WARN = 2,
    SKIFF_LOG_INFO = 3,
    SKIFF_LOG_DEBUG = 4
};

/* The current runtime log level. */
enum skiff_log_level skiff_log_level(void);

/* Print one "Skiff: "-prefixed line if LEVEL is enabled (FMT has no '\n'). */
void skiff_log(enum skiff_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------
 * Time
 */

/* Nanoseconds since the runtime started, from the TSC. */
uint64_t skiff_clock_monotonic(void);

/* Nanoseconds since the Unix epoch (UTC), from the host. */
uint64_t skiff_clock_wall(void);

/* Block until a network device has input, a control request arrives (see
 * below) or the monotonic clock reaches DEADLINE (one POLL hypercall). If
 * READY_SET is not NULL, bit N is set in it when the device with handle N
 * is readable, and bit 0 (SKIFF_READY_CONTROL) when this call received a
 * control request, which skiff_control_pending() then returns. */
void skiff_yield(uint64_t deadline, uint64_t *ready_set);

/* Sleep NS nanoseconds by the monotonic clock (ignores network input; a
 * control request arriving meanwhile is kept for skiff_control_pending()).
 * On a secondary CPU neither input nor requests interrupt the sleep. */
void skiff_sleep_ns(uint64_t ns);

/* ------------------------------------------------------------------------
 * Control events (a Skiff extension)
 *
 * A guest that declares SKIFF_CONTROL_EVENTS(); at file scope (next to its
 * manifest, see skiff/manifest.h) tells skiff-hv that it handles shutdown
 * and reboot requests from the management daemon: it gets the chance to
 * finish cleanly, and exits on its own (normally with status 0; the monitor
 * reports a reboot as such). The simplest correct loop:
 *
 *     skiff_control_t req;
 *     while ((req = skiff_sleep_until(next)) == SKIFF_CONTROL_NONE) {
 *         do_work();
 *         next += PERIOD;
 *     }
 *     skiff_printf("%s requested\n", skiff_control_name(req));
 *     return 0;
 *
 * The runtime fetches a request (the CONTROL hypercall) only when POLL has
 * reported SKIFF_READY_CONTROL, which neither solo5-hvt nor a skiff-hv
 * without the extension ever does, so such images run unchanged there:
 * requests simply never come. Once received, a request stays pending for
 * the rest of the run (a later one replaces it); nothing clears it.
 */
typedef enum skiff_control_request skiff_control_t;
/* SKIFF_CONTROL_NONE, SKIFF_CONTROL_SHUTDOWN, SKIFF_CONTROL_REBOOT (hvt_abi.h) */

/* Sleep until the monotonic clock reaches DEADLINE or a control request is
 * pending, whichever comes first (network input does not end it). Returns
 * SKIFF_CONTROL_NONE at the deadline, otherwise the request; returns at
 * once if one is already pending. */
skiff_control_t skiff_sleep_until(uint64_t deadline);

/* The pending control request, or SKIFF_CONTROL_NONE. Makes no hypercall:
 * for loops built on skiff_yield() (e.g. with network devices). */
skiff_control_t skiff_control_pending(void);

/* "none", "shutdown", "reboot" (or "unknown"). */
const char *skiff_control_name(skiff_control_t req);

/* ------------------------------------------------------------------------
 * Several CPUs (a Skiff extension)
 *
 * A guest that declares SKIFF_SMP(); at file scope (or
 * SKIFF_EXTENSIONS(SKIFF_EXT_SMP | ...) to combine it with control events,
 * see skiff/manifest.h) can run on up to 512 vCPUs: skiff-hv --vcpus=N.
 * skiff_main() runs on CPU 0 as always; the other CPUs do nothing until
 * the program calls skiff_smp_start():
 *
 *     static skiff_spinlock_t lock = SKIFF_SPINLOCK_INIT;
 *     static unsigned count;
 *
 *     static void work(unsigned cpu)      // on CPUs 1..N-1
 *     {
 *         skiff_spin_lock(&lock);
 *         count++;
 *         skiff_spin_unlock(&lock);
 *     }                                   // then the CPU idles
 *
 *     int skiff_main(const char *cmdline)
 *     {
 *         skiff_smp_start(work);
 *         ...
 *     }
 *
 * Each secondary gets a 16 KiB stack and its own exception stacks and TLS
 * block, carved from the memory skiff_alloc() hands out (about 22.5 KiB
 * per CPU: give a 512-CPU guest at least 16 MiB more than it needs
 * otherwise). When FN returns, the CPU idles in POLL for good, costing the
 * host nothing. skiff_exit() or a fatal trap on any CPU ends the whole
 * guest.
 *
 * Every runtime call may be made on any CPU (the console keeps one
 * printf's output together; skiff_alloc takes a lock). Device input and
 * control requests are CPU 0's business: idle secondaries and
 * skiff_sleep_ns() on a secondary sleep through them (SKIFF_POLL_IDLE),
 * while skiff_yield() on any CPU wakes for them, as on CPU 0.
 * Under another monitor, or without the note, there is one CPU.
 */

/* The number of CPUs the guest runs on (1 unless SMP). */
unsigned skiff_ncpus(void);

/* The calling CPU's index, 0..skiff_ncpus()-1. */
unsigned skiff_cpu_id(void);

/* Start FN(cpu) on every secondary CPU, once; returns how many started
 * (0 with one CPU, or on a second call). Aborts if their stacks do not
 * fit in memory. */
unsigned skiff_smp_start(void (*fn)(unsigned cpu));

/* A spinlock for short critical sections between CPUs. A waiter spins
 * with `pause`; a holder must not sleep (POLL) while holding it. */
typedef struct {
    volatile uint32_t locked;
} skiff_spinlock_t;

#define SKIFF_SPINLOCK_INIT { 0 }

static inline int skiff_spin_trylock(skiff_spinlock_t *l)
{
    return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void skiff_spin_lock(skiff_spinlock_t *l)
{
    while (!skiff_spin_trylock(l)) {
        /* Spin on a plain read, which keeps the cache line shared. */
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            __asm__ __volatile__("pause" ::: "memory");
    }
}

static inline void skiff_spin_unlock(skiff_spinlock_t *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------
 * Devices. A handle is the device's index in the manifest (1..63).
 */

/* Find the attached device NAME of TYPE (MFT_DEV_BLOCK_BASIC or
 * MFT_DEV_NET_BASIC). Returns EINVAL if there is none. */
skiff_result_t skiff_device_find(const char *name, uint32_t type,
                                 unsigned *handle);

/* The manifest entry of an attached device of TYPE, or NULL. */
const struct mft_entry *skiff_device(unsigned handle, uint32_t type);

struct skiff_block_info {
    uint64_t capacity;    /* bytes */
    uint64_t block_size;  /* bytes per block */
};

/* Find block device NAME; fills HANDLE and INFO. */
skiff_result_t skiff_block_acquire(const char *name, unsigned *handle,
                                   struct skiff_block_info *info);

/* Write or read exactly one block: OFFSET must be a multiple of block_size
 * and below capacity, and LEN must equal block_size. Anything else returns
 * EINVAL without a hypercall. */
skiff_result_t skiff_block_write(unsigned handle, uint64_t offset,
                                 const void *buf, size_t len);
skiff_result_t skiff_block_read(unsigned handle, uint64_t offset,
                                void *buf, size_t len);

struct skiff_net_info {
    uint8_t mac[6];
    uint16_t mtu;         /* excluding the 14-byte Ethernet header */
};

#define SKIFF_ETH_HLEN 14

/* Find network device NAME; fills HANDLE and INFO. */
skiff_result_t skiff_net_acquire(const char *name, unsigned *handle,
                                 struct skiff_net_info *info);

/* Send one Ethernet frame of LEN bytes (at most mtu + 14). */
skiff_result_t skiff_net_write(unsigned handle, const void *buf, size_t len);

/* Receive one Ethernet frame into BUF of SIZE bytes (at least mtu + 14);
 * *LEN gets its length. AGAIN means no frame is waiting. */
skiff_result_t skiff_net_read(unsigned handle, void *buf, size_t size,
                              size_t *len);

/* ------------------------------------------------------------------------
 * Memory and thread-local storage
 */

/* Allocate SIZE bytes aligned to ALIGN (a power of two) from the memory
 * between the image and the stack. The memory is zero and is never freed.
 * Returns NULL when the request does not fit. */
void *skiff_alloc(size_t size, size_t align);

/* The calling CPU's FS base: its thread pointer when the image has TLS
 * (FS:0 holds the pointer itself; each CPU has its own block), 0
 * otherwise. */
uintptr_t skiff_tls_base(void);

/* ------------------------------------------------------------------------
 * Strings and numbers
 */

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* Parse an unsigned decimal (or 0x-prefixed hexadecimal) number at S into
 * *VALUE. Returns the first character after it, or NULL if S does not start
 * with a digit or the number overflows 64 bits. */
const char *skiff_parse_u64(const char *s, uint64_t *value);

#endif /* SKIFF_GUEST_H */
