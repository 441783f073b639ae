# Guest ABI headers: shared by the monitor and the guest runtime.
noinst_HEADERS += hypervisor/abi/hvt_abi.h
