/* Names of the classes and permissions (xsm_perms.h). */
#include "config.h"

#include "xsm_perms.h"

static const char *const class_names[XSM_NCLASSES] = { "domain", "pool", "host", "peer" };

static const unsigned char perm_class[XSM_NPERMS] = {
#define XSM_PERM_CLASS(c, p, n) XSM_CLASS_##c,
    XSM_PERMISSIONS(XSM_PERM_CLASS)
#undef XSM_PERM_CLASS
};

static const char *const perm_names[XSM_NPERMS] = {
#define XSM_PERM_NAME(c, p, n) n,
    XSM_PERMISSIONS(XSM_PERM_NAME)
#undef XSM_PERM_NAME
};

const char *xsm_class_name(enum xsm_class c)
{
    return (unsigned)c < XSM_NCLASSES ? class_names[c] : "?";
}

enum xsm_class xsm_perm_class(enum xsm_perm p)
{
    return (enum xsm_class)perm_class[(unsigned)p < XSM_NPERMS ? p : 0];
}

const char *xsm_perm_name(enum xsm_perm p)
{
    return (unsigned)p < XSM_NPERMS ? perm_names[p] : "?";
}
