/*
 * The solo5-hvt command line: [OPTIONS] [--] KERNEL [ARGS...], every
 * option a single --opt=value token (HVT-ABI 6).
 */
#ifndef SKIFF_HV_ARGS_H
#define SKIFF_HV_ARGS_H

#include "hv.h"

enum { HV_ARGS_RUN = -1 };

/*
 * First pass: --help, --version, and locate KERNEL and the guest ARGS.
 * Returns HV_ARGS_RUN to go on, or the status to exit with now.
 */
int hv_args_locate(struct hv *hv, int argc, char **argv);

/* Second pass, once the manifest is known: apply every option.
 * Returns 0, or -1 after reporting the bad option and the usage. */
int hv_args_apply(struct hv *hv);

#endif
