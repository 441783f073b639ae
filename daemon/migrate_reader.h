/*
 * An incoming migration stream read straight off the peer's TLS
 * connection. Once MigrateIn is answered, the connection's input is taken
 * from its bufferevent (conn_hand_input) and read here, in the event loop
 * still, with SSL_read of the sizes the framing asks for: a MigrateData
 * frame's data goes from OpenSSL's record to the parser without passing
 * through libevent's buffers, which cost more than the writes into guest
 * RAM themselves. The first other frame (the commit) is read whole and
 * handed back to the connection with its input.
 *
 * A peer that sends nothing for timeout_ms, hangs up or breaks the TLS
 * stream loses its connection (conn_lost), which ends the migration.
 */
#ifndef SKIFF_HOSTD_MIGRATE_READER_H
#define SKIFF_HOSTD_MIGRATE_READER_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct mig_reader;

struct mig_reader_ops {
    /* A MigrateData frame under request id begins; its data follow in
     * pieces, then its end. */
    void (*begin)(void *arg, uint64_t id);
    /* Where the data's next bytes may be read to, and how many: 0 when
     * they go through the reader's own buffer. */
    size_t (*place)(void *arg, uint8_t **to);
    void (*data)(void *arg, const uint8_t *p, size_t n);
    void (*end)(void *arg);
    /* Any other frame came: stop the reader (mig_reader_stop) now; the
     * frame then goes to the connection. */
    void (*other)(void *arg);
};

/* NULL if it cannot (out of memory): the connection keeps its input. */
struct mig_reader *mig_reader_start(struct conn *c, const struct mig_reader_ops *ops, void *arg,
                                    uint32_t timeout_ms);
/* Give the input back to the connection; callable from the callbacks.
 * NULL is fine. */
void mig_reader_stop(struct mig_reader *r);

#endif
