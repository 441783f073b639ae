# Code that hostd, the monitor and the clients share: generated protocol
# code, framing, logging, the configuration parser.
noinst_LIBRARIES += common/libskiffcommon.a
common_libskiffcommon_a_SOURCES = \
	common/frame.c common/frame.h \
	common/tls.c common/tls.h \
	common/config.c common/config-file.h common/config-priv.h \
	common/config-parse.c common/config-domain.c common/config-device.c \
	common/config-cpus.c common/config-pool.c
nodist_common_libskiffcommon_a_SOURCES = \
	proto/skiff.pb-c.c proto/skiff.pb-c.h \
	proto/monitor.pb-c.c proto/monitor.pb-c.h
common_libskiffcommon_a_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
common_libskiffcommon_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(OPENSSL_CFLAGS)

# What every user of libskiffcommon adds to its flags.
COMMON_CPPFLAGS = -I$(top_builddir)/proto -I$(top_srcdir)/common
COMMON_LIBS = common/libskiffcommon.a $(PROTOBUF_C_LIBS)
# Users of common/tls.c add these too.
TLS_LIBS = $(OPENSSL_LIBS)

# Snapshot files (save, restore, migration): format, writer, reader.
common_libskiffcommon_a_SOURCES += common/snapshot.h common/snapshot_crc.c \
	common/snapshot_write.c common/snapshot_read.c \
	common/migrate.h common/migrate_send.c common/migrate_recv.c \
	common/migrate_frame.h common/migrate_frame.c
nodist_common_libskiffcommon_a_SOURCES += proto/snapshot.pb-c.c proto/snapshot.pb-c.h
