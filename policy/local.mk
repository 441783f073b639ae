# policy: the example FLASK policy. The pieces are put together in this
# order by m4 (tenants.te defines a macro) into policy.conf, which
# checkpolicy compiles into the binary policy hostd loads. The label
# mapping (policy/labels) is installed beside it.
POLICY_PIECES = \
	policy/security_classes \
	policy/initial_sids \
	policy/access_vectors \
	policy/roles \
	policy/modules/base.te \
	policy/modules/domains.te \
	policy/modules/admin.te \
	policy/modules/operator.te \
	policy/modules/tenants.te \
	policy/modules/peer.te \
	policy/users \
	policy/constraints \
	policy/initial_sid_contexts
# The binary policy format version: libsepol 3.x reads 15-33.
POLICY_VERSION = 31

policydir = $(pkgdatadir)/policy
nodist_policy_DATA = policy/skiff.policy
dist_policy_DATA = policy/labels

policy/policy.conf: $(addprefix $(top_srcdir)/,$(POLICY_PIECES))
	$(AM_V_GEN)$(MKDIR_P) policy && \
	$(M4) $(addprefix $(top_srcdir)/,$(POLICY_PIECES)) > $@.tmp && mv $@.tmp $@
policy/skiff.policy: policy/policy.conf
	$(AM_V_GEN)$(CHECKPOLICY) -c $(POLICY_VERSION) -o $@.tmp policy/policy.conf >/dev/null && \
	mv $@.tmp $@

EXTRA_DIST += $(POLICY_PIECES)
CLEANFILES += policy/policy.conf policy/skiff.policy
