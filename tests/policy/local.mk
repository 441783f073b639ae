# Test policies: the example policy with a fixture module added or
# swapped in, compiled like policy/skiff.policy.
TEST_POLICIES = tests/policy/operator-audit.policy tests/policy/no-tenants.policy
check_DATA += $(TEST_POLICIES)
CLEANFILES += $(TEST_POLICIES) $(TEST_POLICIES:.policy=.conf)
EXTRA_DIST += tests/policy/operator-audit.te tests/policy/no-tenants.te

policy_src = $(addprefix $(top_srcdir)/,$(POLICY_PIECES))
# compile_policy OUT PIECES...
compile_policy = $(MKDIR_P) tests/policy && $(M4) $(2) > $(1:.policy=.conf) && \
	$(CHECKPOLICY) -c $(POLICY_VERSION) -o $(1) $(1:.policy=.conf) >/dev/null

tests/policy/operator-audit.policy: $(policy_src) $(top_srcdir)/tests/policy/operator-audit.te
	$(AM_V_GEN)$(call compile_policy,$@,$(subst $(top_srcdir)/policy/users,$(top_srcdir)/tests/policy/operator-audit.te $(top_srcdir)/policy/users,$(policy_src)))
tests/policy/no-tenants.policy: $(policy_src) $(top_srcdir)/tests/policy/no-tenants.te
	$(AM_V_GEN)$(call compile_policy,$@,$(subst $(top_srcdir)/policy/modules/tenants.te,$(top_srcdir)/tests/policy/no-tenants.te,$(policy_src)))
