# Test harness: every test program and bats file speaks TAP, so the
# automake TAP driver counts individual cases, not files.
TEST_EXTENSIONS = .bats
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_DRIVER = $(TAP_DRIVER)
BATS_LOG_DRIVER = $(TAP_DRIVER)
BATS_LOG_COMPILER = $(BATS) --tap

AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	SKIFF_HV='$(abs_top_builddir)/hypervisor/monitor/skiff-hv'; export SKIFF_HV; \
	SKIFF_GUESTS='$(abs_top_builddir)/tests/guests'; export SKIFF_GUESTS; \
	SKIFF_EXAMPLES='$(abs_top_builddir)/hypervisor/examples'; export SKIFF_EXAMPLES; \
	SKIFF_TOOLS='$(abs_top_builddir)/tests/tools'; export SKIFF_TOOLS; \
	SKIFF_HOSTD='$(abs_top_builddir)/daemon/hostd'; export SKIFF_HOSTD; \
	SKIFF_CLI='$(abs_top_builddir)/client/skiff'; export SKIFF_CLI; \
	SKIFF_SRCDIR='$(abs_top_srcdir)'; export SKIFF_SRCDIR;

EXTRA_DIST += tests/integration/helpers.bash

include tests/unit/local.mk
include tests/guests/local.mk
include tests/tools/local.mk
include tests/integration/local.mk
include tests/policy/local.mk
include tests/fuzz/local.mk
