# skiff-hv: the monitor, one process per guest. Its code is a convenience
# library so the unit tests link the same objects the binary runs.
bin_PROGRAMS += hypervisor/monitor/skiff-hv
noinst_LIBRARIES += hypervisor/monitor/libhv.a

hypervisor_monitor_libhv_a_SOURCES = \
	hypervisor/monitor/args.c hypervisor/monitor/args.h \
	hypervisor/monitor/boot.c hypervisor/monitor/boot.h \
	hypervisor/monitor/console.c hypervisor/monitor/console.h \
	hypervisor/monitor/control.c hypervisor/monitor/control.h \
	hypervisor/monitor/control_snap.c hypervisor/monitor/control_snap.h \
	hypervisor/monitor/dirty_log.c hypervisor/monitor/dirty_log.h \
	hypervisor/monitor/vcpu_state.c hypervisor/monitor/vcpu_state.h \
	hypervisor/monitor/cpulist.c hypervisor/monitor/cpulist.h \
	hypervisor/monitor/device.c hypervisor/monitor/device.h \
	hypervisor/monitor/dumpcore.h \
	hypervisor/monitor/elf_loader.c hypervisor/monitor/elf_loader.h \
	hypervisor/monitor/hv.h \
	hypervisor/monitor/kvm.c hypervisor/monitor/kvm.h \
	hypervisor/monitor/log.c hypervisor/monitor/log.h \
	hypervisor/monitor/manifest.c hypervisor/monitor/manifest.h \
	hypervisor/monitor/mem.c hypervisor/monitor/mem.h \
	hypervisor/monitor/mod_block.c \
	hypervisor/monitor/mod_control.c \
	hypervisor/monitor/mod_core.c \
	hypervisor/monitor/mod_dumpcore.c \
	hypervisor/monitor/mod_net.c \
	hypervisor/monitor/mod_place.c hypervisor/monitor/place.h \
	hypervisor/monitor/mod_smp.c hypervisor/monitor/smp.h \
	hypervisor/monitor/run.c hypervisor/monitor/run.h \
	hypervisor/monitor/sandbox.c hypervisor/monitor/sandbox.h \
	hypervisor/monitor/sandbox_sanitizers.c \
	hypervisor/monitor/vcpu_ctl.c hypervisor/monitor/vcpu_ctl.h
hypervisor_monitor_libhv_a_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
hypervisor_monitor_libhv_a_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS) $(PROTOBUF_C_CFLAGS)

hypervisor_monitor_skiff_hv_SOURCES = hypervisor/monitor/main.c
hypervisor_monitor_skiff_hv_LDFLAGS = $(HV_LDFLAGS)
hypervisor_monitor_skiff_hv_LDADD = hypervisor/monitor/libhv.a $(COMMON_LIBS) $(SECCOMP_LIBS) \
	-lpthread
