# End-to-end tests: the real binaries on /dev/kvm, driven by bats.
INTEGRATION_TESTS = \
	tests/integration/hvt.bats \
	tests/integration/hostile.bats \
	tests/integration/elf.bats \
	tests/integration/monitor.bats \
	tests/integration/managed.bats

# hostd through its socket and through the skiff CLI.
HOSTD_TESTS = \
	tests/integration/hostd.bats \
	tests/integration/cli.bats \
	tests/integration/lifecycle.bats \
	tests/integration/restart.bats \
	tests/integration/systemd.bats
INTEGRATION_TESTS += $(HOSTD_TESTS)

TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/hostd.bash
