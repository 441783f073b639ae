/*
 * Fuzz target: the label mapping parser of the flask module
 * (daemon/labels.c), which hostd reads at start and on loadpolicy. Any
 * text must parse or be refused with "NAME:LINE: ..."; what parses is
 * looked up for a local and a TLS subject.
 */
#include <stdlib.h>
#include <sys/types.h>

#include "fuzz.h"
#include "labels.h"

static void ignore(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct labels l = { 0 };
    char err[512];
    if (labels_parse((const char *)data, size, "fuzz", &l, err, sizeof err, ignore, NULL) == 0) {
        gid_t gids[2] = { 100, 0 };
        labels_lookup(&l, 1000, gids, 2, NULL);
        labels_lookup(&l, 0, gids, 1, NULL);
        labels_lookup(&l, (uid_t)-1, NULL, 0, "CN=alice,O=Skiff");
        labels_free(&l);
    }
    return 0;
}
