# Unit tests (cmocka, TAP output): pure logic, no KVM.
UNIT_TESTS = tests/unit/test-hv-mem tests/unit/test-hv-manifest tests/unit/test-hv-elf \
	tests/unit/test-hv-cpulist
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

tests_unit_test_hv_cpulist_SOURCES = tests/unit/test-hv-cpulist.c
tests_unit_test_hv_cpulist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hv_cpulist_LDADD = $(UNIT_HV_LIBS)

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

# ---- libskiff and the skiff CLI (client/) ----
CLIENT_UNIT_TESTS = tests/unit/test-client-uri tests/unit/test-client-cli \
	tests/unit/test-client-conn
check_PROGRAMS += $(CLIENT_UNIT_TESTS)
TESTS += $(CLIENT_UNIT_TESTS)
CLIENT_UNIT_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CMOCKA_CFLAGS)
# URI parsing: libskiff's internal sources, compiled in (they are not exported).
tests_unit_test_client_uri_SOURCES = tests/unit/test-client-uri.c \
	client/lib/uri.c client/lib/error.c
tests_unit_test_client_uri_CPPFLAGS = $(CLIENT_CPPFLAGS)
tests_unit_test_client_uri_CFLAGS = $(CLIENT_UNIT_CFLAGS)
tests_unit_test_client_uri_LDADD = $(CMOCKA_LIBS)
# Argument parsing, JSON, formats: the CLI's own objects.
tests_unit_test_client_cli_SOURCES = tests/unit/test-client-cli.c
tests_unit_test_client_cli_CPPFLAGS = $(CLIENT_CPPFLAGS) -I$(top_srcdir)/client/cli
tests_unit_test_client_cli_CFLAGS = $(CLIENT_UNIT_CFLAGS)
tests_unit_test_client_cli_LDADD = client/cli/libskiffcli.a client/libskiff.la $(COMMON_LIBS) \
	$(CMOCKA_LIBS)
# The library against a scripted fake hostd (public API only).
tests_unit_test_client_conn_SOURCES = tests/unit/test-client-conn.c
tests_unit_test_client_conn_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS) \
	-I$(top_srcdir)/client/include
tests_unit_test_client_conn_CFLAGS = $(CLIENT_UNIT_CFLAGS) -pthread
tests_unit_test_client_conn_LDADD = client/libskiff.la $(COMMON_LIBS) $(CMOCKA_LIBS) -lpthread

# Framing (common/frame.c).
check_PROGRAMS += tests/unit/test-frame
TESTS += tests/unit/test-frame
tests_unit_test_frame_SOURCES = tests/unit/test-frame.c
tests_unit_test_frame_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_unit_test_frame_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_frame_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)

# Host topology and NUMA placement (daemon/{cpuset,topology,placement}.c), on synthetic
# sysfs trees from the generator behind tests/tools/mktopo.
TOPO_UNIT_TESTS = tests/unit/test-cpuset tests/unit/test-topology tests/unit/test-placement
check_PROGRAMS += $(TOPO_UNIT_TESTS)
TESTS += $(TOPO_UNIT_TESTS)
topo_unit_sources = $(daemon_topo_sources) tests/tools/topogen.c tests/tools/topogen.h
tests_unit_test_cpuset_SOURCES = tests/unit/test-cpuset.c daemon/cpuset.c daemon/cpuset.h
tests_unit_test_cpuset_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_cpuset_LDADD = $(CMOCKA_LIBS)
tests_unit_test_topology_SOURCES = tests/unit/test-topology.c tests/unit/topo-fixture.c \
	tests/unit/topo-fixture.h $(topo_unit_sources)
tests_unit_test_topology_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_topology_LDADD = $(CMOCKA_LIBS)
tests_unit_test_placement_SOURCES = tests/unit/test-placement.c tests/unit/topo-fixture.c \
	tests/unit/topo-fixture.h $(topo_unit_sources)
tests_unit_test_placement_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_placement_LDADD = $(CMOCKA_LIBS)

# CPU pool rules (daemon/pool.c).
check_PROGRAMS += tests/unit/test-pool
TESTS += tests/unit/test-pool
tests_unit_test_pool_SOURCES = tests/unit/test-pool.c $(daemon_pool_sources) \
	daemon/cpuset.c daemon/cpuset.h
tests_unit_test_pool_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_pool_LDADD = $(CMOCKA_LIBS)
# The FLASK security server on the policy built from policy/ and the test
# fixtures, and the label mapping parser (daemon/libflask.a).
check_PROGRAMS += tests/unit/test-flask tests/unit/test-labels
TESTS += tests/unit/test-flask tests/unit/test-labels
tests_unit_test_flask_SOURCES = tests/unit/test-flask.c
tests_unit_test_flask_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_BUILDDIR=\"$(abs_top_builddir)\"
tests_unit_test_flask_CFLAGS = $(AM_CFLAGS) $(SEPOL_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_flask_LDADD = daemon/libflask.a $(SEPOL_STATIC_LIBS) $(CMOCKA_LIBS)
EXTRA_tests_unit_test_flask_DEPENDENCIES = policy/skiff.policy $(TEST_POLICIES)
tests_unit_test_labels_SOURCES = tests/unit/test-labels.c
tests_unit_test_labels_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_labels_LDADD = daemon/libflask.a $(SEPOL_STATIC_LIBS) $(CMOCKA_LIBS)
# Snapshot files (common/snapshot_*.c).
check_PROGRAMS += tests/unit/test-snapshot
TESTS += tests/unit/test-snapshot
tests_unit_test_snapshot_SOURCES = tests/unit/test-snapshot.c
tests_unit_test_snapshot_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_unit_test_snapshot_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_snapshot_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)

# The migration stream (common/migrate_*.c) over a socketpair.
check_PROGRAMS += tests/unit/test-migrate
TESTS += tests/unit/test-migrate
tests_unit_test_migrate_SOURCES = tests/unit/test-migrate.c
tests_unit_test_migrate_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_unit_test_migrate_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_migrate_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS) -lpthread

# MigrateData frames built and read in place match protobuf-c's.
check_PROGRAMS += tests/unit/test-migrate-frame
TESTS += tests/unit/test-migrate-frame
tests_unit_test_migrate_frame_SOURCES = tests/unit/test-migrate-frame.c
tests_unit_test_migrate_frame_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_unit_test_migrate_frame_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_migrate_frame_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)
