# End-to-end tests: the real skiff-hv on /dev/kvm, driven by bats.
INTEGRATION_TESTS = \
	tests/integration/hvt.bats \
	tests/integration/hostile.bats \
	tests/integration/elf.bats \
	tests/integration/monitor.bats
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS)
