#include <stdio.h>

#include "row.h"

void bench_row(const char *name, double value, int decimals, const char *unit,
               const char *target)
{
    printf("%s\t%.*f\t%s\t%s\n", name, decimals, value, unit, target);
    fflush(stdout);     /* rows arrive in order even if a later step fails */
}
