/*
 * Fresh domain statistics for list and the metrics endpoint: ask every
 * running monitor whose last Stats is older than STATS_MAX_AGE_MS, all at
 * once, and continue when they have answered (or STATS_WAIT_MS passed).
 * Never blocks the event loop; a slow monitor only costs staleness.
 */
#ifndef SKIFF_HOSTD_STATS_H
#define SKIFF_HOSTD_STATS_H

struct hostd;

/* Stats younger than this are served as they are. */
#define STATS_MAX_AGE_MS 200
/* Give up waiting for slow monitors after this long. */
#define STATS_WAIT_MS 500

typedef void (*stats_done_fn)(struct hostd *h, void *arg);

/*
 * Refresh stale statistics, then call done(h, arg) exactly once: from
 * here when nothing needed asking (return 0), else later from the event
 * loop (return 1). Returns -ENOMEM (done not called) if it could not start.
 */
int stats_refresh(struct hostd *h, stats_done_fn done, void *arg);

#endif
