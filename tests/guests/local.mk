# Test unikernels for `make check`, built with the libskiff-guest rules
# from hypervisor/guest/local.mk. One C file per image.
TEST_GUESTS = \
	tests/guests/hello.hvt \
	tests/guests/quiet.hvt \
	tests/guests/output.hvt \
	tests/guests/globals.hvt \
	tests/guests/exception.hvt \
	tests/guests/zeropage.hvt \
	tests/guests/xnow.hvt \
	tests/guests/notls.hvt \
	tests/guests/tls.hvt \
	tests/guests/ssp.hvt \
	tests/guests/time.hvt \
	tests/guests/blk.hvt \
	tests/guests/net.hvt \
	tests/guests/mft_maxdevices.hvt \
	tests/guests/dumpcore.hvt \
	tests/guests/fpu.hvt \
	tests/guests/printf.hvt \
	tests/guests/hostile.hvt \
	tests/guests/badhandle.hvt \
	tests/guests/control.hvt \
	tests/guests/smp.hvt \
	tests/guests/clocks.hvt \
	tests/guests/blkloop.hvt \
	tests/guests/smpcount.hvt \
	tests/guests/noisy.hvt \
	tests/guests/dirty.hvt

tests/guests/%.hvt: $(top_srcdir)/tests/guests/%.c \
		$(top_srcdir)/tests/guests/opaque.h \
		$(GUEST_HDRS) $(GUEST_LIB) $(GUEST_LDS)
	@$(MKDIR_P) $(@D)
	$(GUEST_LD_CMD) -o $@ $< $(GUEST_LIB)

check_DATA += $(TEST_GUESTS)
EXTRA_DIST += $(TEST_GUESTS:.hvt=.c) tests/guests/opaque.h
CLEANFILES += $(TEST_GUESTS)
