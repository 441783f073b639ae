# End-to-end tests: the real binaries on /dev/kvm, driven by bats.
INTEGRATION_TESTS = \
	tests/integration/hvt.bats \
	tests/integration/hostile.bats \
	tests/integration/elf.bats \
	tests/integration/monitor.bats \
	tests/integration/managed.bats
# Added as they land: managed.bats (skiff-hv --control), hostd.bats,
# cli.bats, restart.bats (hostd through the skiff CLI).
INTEGRATION_TESTS += $(HOSTD_TESTS)
HOSTD_TESTS =
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)
