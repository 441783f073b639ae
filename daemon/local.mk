# daemon: hostd, the management daemon.
sbin_PROGRAMS += daemon/hostd
daemon_hostd_SOURCES = \
	daemon/main.c daemon/hostd.h \
	daemon/conf.c daemon/conf.h \
	daemon/log.c daemon/log.h \
	daemon/systemd.c daemon/systemd.h \
	daemon/util.c daemon/util.h daemon/list.h \
	daemon/server.c daemon/server.h \
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
	daemon/metrics.c daemon/metrics.h
daemon_hostd_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS) \
	-DSKIFF_HV_PATH=\"$(bindir)/skiff-hv\" \
	-DSKIFF_STATEDIR=\"$(localstatedir)/lib/skiff\" \
	-DSKIFF_RUNDIR=\"$(runstatedir)/skiff\" \
	-DSKIFF_SYSCONFDIR=\"$(sysconfdir)/skiff\"
daemon_hostd_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(SQLITE_CFLAGS) $(SYSTEMD_CFLAGS)
daemon_hostd_LDADD = daemon/libstore.a $(COMMON_LIBS) $(LIBEVENT_LIBS) $(SQLITE_LIBS) \
	$(SYSTEMD_LIBS) $(PROTOBUF_C_LIBS)

# The systemd unit and the default configuration: packaging.mk.

# The store (daemon/store.c) as its own convenience library: hostd and the unit tests link it.
noinst_LIBRARIES += daemon/libstore.a
daemon_libstore_a_SOURCES = daemon/store.c daemon/store.h
daemon_libstore_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
