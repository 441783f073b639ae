#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procmem.h"

int bench_proc_mem(pid_t pid, struct bench_mem *m)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", (long)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, "bench: %s: cannot open\n", path);
        return -1;
    }
    *m = (struct bench_mem){ .rss_kib = -1, .pss_kib = -1 };
    while (fgets(line, sizeof line, f) != NULL) {
        long v;
        if (sscanf(line, "Rss: %ld kB", &v) == 1)
            m->rss_kib = v;
        else if (sscanf(line, "Pss: %ld kB", &v) == 1)
            m->pss_kib = v;
    }
    fclose(f);
    if (m->rss_kib < 0 || m->pss_kib < 0) {
        fprintf(stderr, "bench: %s: no Rss/Pss lines\n", path);
        return -1;
    }
    return 0;
}

int bench_proc_cpu(pid_t pid, double *seconds)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, "bench: %s: cannot open\n", path);
        return -1;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields start after the last ')'. */
    char *p = strrchr(buf, ')');
    unsigned long utime, stime;
    if (p == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &utime, &stime) != 2) {
        fprintf(stderr, "bench: %s: cannot parse\n", path);
        return -1;
    }
    *seconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}
