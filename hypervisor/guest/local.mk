# libskiff-guest: the unikernel runtime, plus the rules every guest image
# (examples, test guests) is built with.
#
# Guests are freestanding and never see the host CFLAGS/CPPFLAGS/LDFLAGS:
# a sanitizer or coverage build of the monitor must not leak into them.
# GNU make pattern rules do the work; automake's LIBRARIES would use the
# host flags. Variable names avoid automake's reserved suffixes (_CFLAGS,
# _LDFLAGS, _HEADERS, _SOURCES, _OBJECTS), which it would check as targets.

GUEST_SRCDIR = $(top_srcdir)/hypervisor/guest
GUEST_LDS = $(GUEST_SRCDIR)/skiff-guest.ld
GUEST_LIB = hypervisor/guest/libskiff-guest.a

GUEST_COPTS = -std=gnu17 -ffreestanding -nostdinc -isystem $(GUEST_INCDIR) \
	-I$(GUEST_SRCDIR)/include -I$(top_srcdir)/hypervisor/abi \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-fstack-protector-strong -mstack-protector-guard=global \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fcf-protection=none \
	-fno-tree-loop-distribute-patterns -fno-common \
	-O2 -g -Wall -Wextra -Werror
GUEST_LDOPTS = -nostdlib -static -no-pie -Wl,-T,$(GUEST_LDS) \
	-Wl,-z,noexecstack -Wl,--build-id=none -Wl,-z,max-page-size=0x1000

GUEST_HDRS = \
	$(GUEST_SRCDIR)/include/skiff/guest.h \
	$(GUEST_SRCDIR)/include/skiff/hypercall.h \
	$(GUEST_SRCDIR)/include/skiff/manifest.h \
	$(top_srcdir)/hypervisor/abi/hvt_abi.h

GUEST_LIB_SRCS = \
	hypervisor/guest/start.S \
	hypervisor/guest/smp_entry.S \
	hypervisor/guest/trap_entry.S \
	hypervisor/guest/boot.c \
	hypervisor/guest/block.c \
	hypervisor/guest/cmdline.c \
	hypervisor/guest/console.c \
	hypervisor/guest/control.c \
	hypervisor/guest/cpu.c \
	hypervisor/guest/device.c \
	hypervisor/guest/exit.c \
	hypervisor/guest/mem.c \
	hypervisor/guest/net.c \
	hypervisor/guest/printf.c \
	hypervisor/guest/smp.c \
	hypervisor/guest/ssp.c \
	hypervisor/guest/string.c \
	hypervisor/guest/time.c \
	hypervisor/guest/tls.c \
	hypervisor/guest/trap.c
GUEST_LIB_OBJS = $(patsubst %.S,%.o,$(GUEST_LIB_SRCS:.c=.o))

hypervisor/guest/%.o: $(top_srcdir)/hypervisor/guest/%.c \
		$(GUEST_HDRS) $(GUEST_SRCDIR)/internal.h
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(GUEST_CC) $(GUEST_COPTS) -c -o $@ $<

hypervisor/guest/%.o: $(top_srcdir)/hypervisor/guest/%.S
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(GUEST_CC) $(GUEST_COPTS) -c -o $@ $<

$(GUEST_LIB): $(GUEST_LIB_OBJS)
	$(AM_V_GEN)rm -f $@ && $(AR) cr $@ $(GUEST_LIB_OBJS) && $(RANLIB) $@

# A guest image from one C file: DIR/NAME.hvt from $(srcdir)/DIR/NAME.c.
# Used by hypervisor/examples and tests/guests.
GUEST_LD_CMD = $(AM_V_CCLD)$(GUEST_CC) $(GUEST_COPTS) $(GUEST_LDOPTS)

noinst_DATA += $(GUEST_LIB)
EXTRA_DIST += $(GUEST_LIB_SRCS) $(GUEST_HDRS:$(top_srcdir)/%=%) \
	hypervisor/guest/internal.h hypervisor/guest/skiff-guest.ld
CLEANFILES += $(GUEST_LIB) $(GUEST_LIB_OBJS)
