# daemon: hostd, the management daemon.
sbin_PROGRAMS += daemon/hostd
daemon_hostd_SOURCES = \
	daemon/main.c daemon/hostd.h \
	daemon/conf.c daemon/conf.h \
	daemon/log.c daemon/log.h \
	daemon/systemd.c daemon/systemd.h \
	daemon/util.c daemon/util.h daemon/list.h \
	daemon/server.c daemon/server.h \
	daemon/tls_server.c daemon/tls_server.h \
	daemon/conn.c daemon/conn.h \
	daemon/console_log.c daemon/console_log.h \
	daemon/rpc.c daemon/rpc.h \
	daemon/events.c daemon/events.h \
	daemon/domain.c daemon/domain.h \
	daemon/domain_config.c daemon/domain_life.c \
	daemon/reconcile.c \
	daemon/ring.c daemon/ring.h \
	daemon/monitor.c daemon/monitor_spawn.c daemon/monitor.h \
	daemon/stats.c daemon/stats.h \
	daemon/metrics.c daemon/metrics.h \
	$(daemon_topo_sources) $(daemon_pool_sources) \
	daemon/host_topology.c daemon/host_topology.h \
	daemon/pool_state.c daemon/pool_state.h \
	daemon/vcpu_affinity.c daemon/vcpu_affinity.h \
	daemon/numa_place.c daemon/numa_place.h \
	daemon/cgroup.c daemon/cgroup.h \
	daemon/domain_cpus.c \
	daemon/rpc_pool.c daemon/rpc_vcpu.c daemon/rpc_sched.c daemon/rpc_cpu.h \
	daemon/xsm.c daemon/xsm.h daemon/xsm_state.h daemon/xsm_ops.c
daemon_hostd_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS) \
	-DSKIFF_HV_PATH=\"$(bindir)/skiff-hv\" \
	-DSKIFF_STATEDIR=\"$(localstatedir)/lib/skiff\" \
	-DSKIFF_RUNDIR=\"$(runstatedir)/skiff\" \
	-DSKIFF_SYSCONFDIR=\"$(sysconfdir)/skiff\" \
	-DSKIFF_POLICYDIR=\"$(pkgdatadir)/policy\"
daemon_hostd_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(SQLITE_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBEVENT_OPENSSL_CFLAGS) $(OPENSSL_CFLAGS) \
	$(SEPOL_CFLAGS)
daemon_hostd_LDADD = daemon/libstore.a daemon/libflask.a $(COMMON_LIBS) $(LIBEVENT_LIBS) \
	$(SQLITE_LIBS) $(SYSTEMD_LIBS) $(PROTOBUF_C_LIBS) $(LIBEVENT_OPENSSL_LIBS) $(TLS_LIBS) \
	$(SEPOL_STATIC_LIBS)

# Host topology and NUMA placement: pure logic, also linked into unit tests and bench.
daemon_topo_sources = daemon/cpuset.c daemon/cpuset.h \
	daemon/topology.c daemon/topology.h \
	daemon/placement.c daemon/placement.h \
	daemon/placement_search.c daemon/placement_search.h

# CPU pool rules: pure logic, also linked into unit tests and bench.
daemon_pool_sources = daemon/pool.c daemon/pool.h

# The systemd unit and the default configuration: packaging.mk.

# The store (daemon/store.c) as its own convenience library: hostd and the unit tests link it.
noinst_LIBRARIES += daemon/libstore.a
daemon_libstore_a_SOURCES = daemon/store.c daemon/store.h
daemon_libstore_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)

# The FLASK security server (libsepol, the AVC) and the label mapping, as
# a convenience library: hostd and the unit tests link it.
noinst_LIBRARIES += daemon/libflask.a
daemon_libflask_a_SOURCES = daemon/flask.c daemon/flask.h daemon/labels.c daemon/labels.h \
	daemon/xsm_perms.c daemon/xsm_perms.h
daemon_libflask_a_CFLAGS = $(AM_CFLAGS) $(SEPOL_CFLAGS)
# Save and restore.
daemon_hostd_SOURCES += daemon/save_restore.h daemon/snapshot_file.c \
	daemon/rpc_save.c daemon/rpc_restore.c daemon/migrate_out.c daemon/migrate_in.c daemon/migrate_reader.c daemon/migrate_reader.h daemon/migrate_peer.h \
	daemon/migrate_recover.c \
	daemon/populate.c daemon/populate.h
