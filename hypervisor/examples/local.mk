# Example unikernels, built by plain `make` because the demo runs them.
EXAMPLE_GUESTS = \
	hypervisor/examples/hello.hvt \
	hypervisor/examples/ticker.hvt

hypervisor/examples/%.hvt: $(top_srcdir)/hypervisor/examples/%.c \
		$(GUEST_HDRS) $(GUEST_LIB) $(GUEST_LDS)
	@$(MKDIR_P) $(@D)
	$(GUEST_LD_CMD) -o $@ $< $(GUEST_LIB)

noinst_DATA += $(EXAMPLE_GUESTS)
EXTRA_DIST += $(EXAMPLE_GUESTS:.hvt=.c)
CLEANFILES += $(EXAMPLE_GUESTS)
