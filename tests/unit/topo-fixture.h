/* Temporary synthetic sysfs trees for the topology and placement tests. */
#ifndef SKIFF_TESTS_TOPO_FIXTURE_H
#define SKIFF_TESTS_TOPO_FIXTURE_H

#include "daemon/topology.h"
#include "tests/tools/topogen.h"

/* A fresh empty directory under $TMPDIR (malloc'd; aborts the test on failure). */
char *topo_tmpdir(void);
/* rm -rf DIR and free it. */
void topo_rmdir(char *dir);
/* Write G under DIR and read it back; fails the test on any error. */
struct topology *topo_make(const char *dir, const struct topogen *g);
/* Overwrite (or with TEXT NULL, remove) DIR/REL. */
void topo_put(const char *dir, const char *rel, const char *text);

#endif
