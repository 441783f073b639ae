/*
 * The classes and permissions hostd checks: the names policy/access_vectors
 * declares. A loaded policy is looked up by these names (flask.c), so the
 * order here is hostd's own and the policy may order them as it likes.
 */
#ifndef SKIFF_HOSTD_XSM_PERMS_H
#define SKIFF_HOSTD_XSM_PERMS_H

enum xsm_class { XSM_CLASS_DOMAIN, XSM_CLASS_POOL, XSM_CLASS_HOST, XSM_CLASS_PEER, XSM_NCLASSES };

/* X(CLASS, PERM, "name") for every permission. */
#define XSM_PERMISSIONS(X) \
    X(DOMAIN, CREATE, "create") \
    X(DOMAIN, START, "start") \
    X(DOMAIN, UNDEFINE, "undefine") \
    X(DOMAIN, DESTROY, "destroy") \
    X(DOMAIN, PAUSE, "pause") \
    X(DOMAIN, UNPAUSE, "unpause") \
    X(DOMAIN, SHUTDOWN, "shutdown") \
    X(DOMAIN, REBOOT, "reboot") \
    X(DOMAIN, GETINFO, "getinfo") \
    X(DOMAIN, CONSOLE, "console") \
    X(DOMAIN, RENAME, "rename") \
    X(DOMAIN, SAVE, "save") \
    X(DOMAIN, RESTORE, "restore") \
    X(DOMAIN, MIGRATE_OUT, "migrate_out") \
    X(DOMAIN, MIGRATE_IN, "migrate_in") \
    X(DOMAIN, SETAFFINITY, "setaffinity") \
    X(DOMAIN, SETSCHED, "setsched") \
    X(DOMAIN, SETPOOL, "setpool") \
    X(DOMAIN, RELABELFROM, "relabelfrom") \
    X(DOMAIN, RELABELTO, "relabelto") \
    X(POOL, CREATE, "create") \
    X(POOL, DESTROY, "destroy") \
    X(POOL, ADDCPU, "addcpu") \
    X(POOL, REMOVECPU, "removecpu") \
    X(POOL, GETINFO, "getinfo") \
    X(POOL, RENAME, "rename") \
    X(POOL, SETSCHED, "setsched") \
    X(POOL, USE, "use") \
    X(HOST, GETINFO, "getinfo") \
    X(HOST, EVENTS, "events") \
    X(HOST, GETENFORCE, "getenforce") \
    X(HOST, SETENFORCE, "setenforce") \
    X(HOST, LOADPOLICY, "loadpolicy") \
    X(HOST, AUDIT, "audit") \
    X(HOST, PHYSINFO, "physinfo") \
    X(PEER, MIGRATE_IN, "migrate_in")

/* XSM_DOMAIN__CREATE, XSM_POOL__ADDCPU, ... */
enum xsm_perm {
#define XSM_PERM_ENUM(c, p, n) XSM_##c##__##p,
    XSM_PERMISSIONS(XSM_PERM_ENUM)
#undef XSM_PERM_ENUM
    XSM_NPERMS
};

/* "domain", "pool", "host", "peer". */
const char *xsm_class_name(enum xsm_class c);
enum xsm_class xsm_perm_class(enum xsm_perm p);
const char *xsm_perm_name(enum xsm_perm p);

#endif
