# Unit tests (cmocka, TAP output): pure logic, no KVM.
UNIT_TESTS = tests/unit/test-hv-mem tests/unit/test-hv-manifest tests/unit/test-hv-elf
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/hypervisor/monitor
UNIT_HV_LIBS = hypervisor/monitor/libhv.a $(COMMON_LIBS) $(SECCOMP_LIBS) $(CMOCKA_LIBS)

tests_unit_test_hv_mem_SOURCES = tests/unit/test-hv-mem.c
tests_unit_test_hv_mem_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hv_mem_LDADD = $(UNIT_HV_LIBS)

tests_unit_test_hv_manifest_SOURCES = tests/unit/test-hv-manifest.c
tests_unit_test_hv_manifest_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hv_manifest_LDADD = $(UNIT_HV_LIBS)

tests_unit_test_hv_elf_SOURCES = tests/unit/test-hv-elf.c
tests_unit_test_hv_elf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hv_elf_LDADD = $(UNIT_HV_LIBS)

# The hostd store (daemon/store.c on SQLite).
check_PROGRAMS += tests/unit/test-store
TESTS += tests/unit/test-store
tests_unit_test_store_SOURCES = tests/unit/test-store.c
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_store_LDADD = daemon/libstore.a $(SQLITE_LIBS) $(CMOCKA_LIBS)

# The configuration parser (common/config*.c).
check_PROGRAMS += tests/unit/test-config
TESTS += tests/unit/test-config
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)
