/* Automatic NUMA placement. */
#include <errno.h>
#include <stdio.h>

#include "daemon/placement.h"

int placement_choose(const struct topology *t, const struct placement_request *rq,
                     const struct placement_load *load, struct placement *out, char *why,
                     size_t whylen)
{
    (void)t;
    (void)rq;
    (void)load;
    (void)out;
    if (why && whylen)
        snprintf(why, whylen, "placement: not implemented yet");
    return -ENOSYS;
}
