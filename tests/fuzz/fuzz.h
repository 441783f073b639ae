/*
 * The interface every fuzz target implements: libFuzzer's entry points.
 * The same target links either with libFuzzer (./configure --enable-fuzzing)
 * or with driver.c, which runs each file named on its command line once
 * (the seed corpus and the kept crash inputs, in the normal `make check`).
 */
#ifndef SKIFF_FUZZ_H
#define SKIFF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Run one input. Must not keep state that changes what the next input does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time set-up (weak: a target may leave it out). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
