# Fuzz targets (libFuzzer's interface, tests/fuzz/fuzz.h): one per input
# surface. In a normal build each links with driver.c and replays its seed
# corpus and kept crash inputs in `make check` (tests/fuzz/replay.bats);
# under ./configure CC=clang --enable-fuzzing they link with libFuzzer,
# and `make fuzz` (tests/fuzz/run.sh) fuzzes each for FUZZ_SECONDS.
#
# Adding a target NAME: write tests/fuzz/fuzz-NAME.c, seed
# tests/fuzz/corpus/fuzz-NAME/, add four lines here like fuzz-config's,
# and one @test line to tests/fuzz/replay.bats.
if ENABLE_FUZZING
FUZZ_DRIVER =
FUZZ_LINK = -fsanitize=fuzzer
else
FUZZ_DRIVER = tests/fuzz/driver.c
FUZZ_LINK =
endif
FUZZ_INCLUDES = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS) -I$(top_srcdir)/tests/fuzz
FUZZ_TARGETS =

# The skiff.cfg(5) parser.
FUZZ_TARGETS += tests/fuzz/fuzz-config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_config_CPPFLAGS = $(FUZZ_INCLUDES)
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_config_LDADD = $(COMMON_LIBS)

# skiff-hv's ELF loader and manifest.
FUZZ_TARGETS += tests/fuzz/fuzz-elf
tests_fuzz_fuzz_elf_SOURCES = tests/fuzz/fuzz-elf.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_elf_CPPFLAGS = $(FUZZ_INCLUDES) -I$(top_srcdir)/hypervisor/monitor
tests_fuzz_fuzz_elf_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_fuzz_fuzz_elf_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_elf_LDADD = hypervisor/monitor/libhv.a $(COMMON_LIBS) $(SECCOMP_LIBS) -lpthread

# hostd's API: framing, decoding and dispatch, with the whole daemon linked
# in (its own sources, so anything added to hostd is fuzzed too).
FUZZ_TARGETS += tests/fuzz/fuzz-rpc
tests_fuzz_fuzz_rpc_SOURCES = tests/fuzz/fuzz-rpc.c $(FUZZ_DRIVER) $(daemon_hostd_SOURCES)
tests_fuzz_fuzz_rpc_CPPFLAGS = $(daemon_hostd_CPPFLAGS) -I$(top_srcdir)/tests/fuzz \
	-I$(top_srcdir)/daemon -Dmain=hostd_main
tests_fuzz_fuzz_rpc_CFLAGS = $(daemon_hostd_CFLAGS) -Wno-missing-prototypes
tests_fuzz_fuzz_rpc_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_rpc_LDADD = $(daemon_hostd_LDADD)

# Snapshot files and migration streams (common/snapshot_read.c, migrate_recv.c).
FUZZ_TARGETS += tests/fuzz/fuzz-snapshot
tests_fuzz_fuzz_snapshot_SOURCES = tests/fuzz/fuzz-snapshot.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_snapshot_CPPFLAGS = $(FUZZ_INCLUDES)
tests_fuzz_fuzz_snapshot_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_fuzz_fuzz_snapshot_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_snapshot_LDADD = $(COMMON_LIBS)

# The flask module's label mapping (daemon/labels.c).
FUZZ_TARGETS += tests/fuzz/fuzz-labels
tests_fuzz_fuzz_labels_SOURCES = tests/fuzz/fuzz-labels.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_labels_CPPFLAGS = $(FUZZ_INCLUDES) -I$(top_srcdir)/daemon
tests_fuzz_fuzz_labels_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_labels_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_labels_LDADD = daemon/libflask.a $(SEPOL_STATIC_LIBS)

check_PROGRAMS += $(FUZZ_TARGETS)
noinst_HEADERS += tests/fuzz/fuzz.h
EXTRA_DIST += tests/fuzz/driver.c tests/fuzz/run.sh tests/fuzz/corpus tests/fuzz/regressions
TESTS += tests/fuzz/replay.bats
EXTRA_DIST += tests/fuzz/replay.bats

# `make fuzz`: a clang sub-build with libFuzzer and ASan+UBSan in ./fuzz,
# then FUZZ_SECONDS of fuzzing per target over its corpus.
FUZZ_SECONDS = 20
fuzz:
	FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_TARGETS='$(FUZZ_TARGETS)' \
		$(SHELL) $(top_srcdir)/tests/fuzz/run.sh '$(abs_top_srcdir)' '$(abs_top_builddir)/fuzz'
.PHONY: fuzz
# The sub-build of a fuzzing tree itself is `make fuzz-targets`.
fuzz-targets: $(BUILT_SOURCES) $(FUZZ_TARGETS)
.PHONY: fuzz-targets
