/* Temporary synthetic sysfs trees for the topology and placement tests. */
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/topo-fixture.h"

char *topo_tmpdir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(PATH_MAX);

    assert_non_null(dir);
    /* Trees are thousands of tiny files: tmpfs when TMPDIR does not say otherwise. */
    if (!tmp || !*tmp)
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, PATH_MAX, "%s/test-topo.XXXXXX", tmp);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void topo_rmdir(char *dir)
{
    if (dir)
        assert_int_equal(nftw(dir, remove_one, 32, FTW_DEPTH | FTW_PHYS), 0);
    free(dir);
}

struct topology *topo_make(const char *dir, const struct topogen *g)
{
    struct topology *t = NULL;
    char why[256] = "";

    assert_int_equal(topogen_write(dir, g), 0);
    int rc = topology_read(dir, &t, why, sizeof why);
    if (rc != 0)
        fail_msg("topology_read: %d: %s", rc, why);
    assert_non_null(t);
    return t;
}

void topo_put(const char *dir, const char *rel, const char *text)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (!text) {
        assert_int_equal(unlink(path), 0);
        return;
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}
