# End-to-end tests: the real binaries on /dev/kvm, driven by bats.
INTEGRATION_TESTS = \
	tests/integration/hvt.bats \
	tests/integration/hostile.bats \
	tests/integration/elf.bats \
	tests/integration/monitor.bats \
	tests/integration/managed.bats \
	tests/integration/smp.bats \
	tests/integration/saverestore-hv.bats

# hostd through its socket and through the skiff CLI.
HOSTD_TESTS = \
	tests/integration/hostd.bats \
	tests/integration/cli.bats \
	tests/integration/lifecycle.bats \
	tests/integration/restart.bats \
	tests/integration/systemd.bats \
	tests/integration/monitoring.bats \
	tests/integration/tls.bats \
	tests/integration/pools.bats \
	tests/integration/vcpu.bats \
	tests/integration/sched.bats \
	tests/integration/numa.bats \
	tests/integration/policy.bats \
	tests/integration/saverestore.bats \
	tests/integration/hostile-hostd.bats \
	tests/integration/load.bats \
	tests/integration/faults.bats \
	tests/integration/migrate.bats

# What operators meet: install, packages, docs, shell completion.
OPERATOR_TESTS = \
	tests/integration/install.bats \
	tests/integration/docs.bats \
	tests/integration/completion.bats

INTEGRATION_TESTS += $(HOSTD_TESTS) $(OPERATOR_TESTS)
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/hostd.bash tests/integration/pools.bash

# The sanitizer build (./configure --enable-sanitizers) runs everything but
# the operator tests: those check installed products, and a sanitized
# libskiff cannot be linked by the plain programs they build.
SANITIZER_TESTS = $(filter-out $(OPERATOR_TESTS),$(TESTS))
check-sanitizers:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(SANITIZER_TESTS)'
.PHONY: check-sanitizers
