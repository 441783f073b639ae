# client: libskiff (the stable C client library) and the skiff CLI on it.

# libskiff is a shared library: it compiles the framing and the generated
# protocol code itself (libskiffcommon.a is not built position-independent)
# and exports only the functions of <skiff/skiff.h> (client/libskiff.map).
lib_LTLIBRARIES += client/libskiff.la
skiffincludedir = $(includedir)/skiff
skiffinclude_HEADERS = client/include/skiff/skiff.h
pkgconfig_DATA += client/libskiff.pc
EXTRA_DIST += client/libskiff.map

client_libskiff_la_SOURCES = \
	client/lib/internal.h \
	client/lib/conn.c \
	client/lib/convert.c \
	client/lib/error.c \
	client/lib/ops.c \
	client/lib/ops_pool.c \
	client/lib/security.c \
	client/lib/snapshot.c client/lib/migrate.c \
	client/lib/stream.c \
	client/lib/tls.c \
	client/lib/uri.c client/lib/uri.h \
	common/frame.c common/frame.h \
	common/tls.c common/tls.h
nodist_client_libskiff_la_SOURCES = proto/skiff.pb-c.c proto/skiff.pb-c.h
CLIENT_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS) -I$(top_srcdir)/client/include \
	-I$(top_srcdir)/client/lib
client_libskiff_la_CPPFLAGS = $(CLIENT_CPPFLAGS) \
	-DSKIFF_PKI_ROOT_DIR=\"$(sysconfdir)/skiff/pki\"
client_libskiff_la_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(OPENSSL_CFLAGS)
client_libskiff_la_LIBADD = $(PROTOBUF_C_LIBS) $(TLS_LIBS)
client_libskiff_la_LDFLAGS = -version-info 1:0:1 -no-undefined \
	-Wl,--version-script=$(top_srcdir)/client/libskiff.map
EXTRA_client_libskiff_la_DEPENDENCIES = client/libskiff.map

# skiff, the command line. Its code (all but main.c) is a convenience
# library so the unit tests link the same objects the binary runs. It also
# links libskiffcommon.a for the skiff.cfg parser.
bin_PROGRAMS += client/skiff
noinst_LIBRARIES += client/cli/libskiffcli.a
client_cli_libskiffcli_a_SOURCES = \
	client/cli/args.c client/cli/args.h \
	client/cli/cli.h \
	client/cli/cmd-console.c \
	client/cli/cmd-events.c \
	client/cli/cmd-lifecycle.c \
	client/cli/cmd-security.c \
	client/cli/cmd-snapshot.c client/cli/cmd-migrate.c \
	client/cli/cmd-show.c \
	client/cli/cmd-top.c \
	client/cli/cmd-pool.c client/cli/cmd-vcpu.c client/cli/cmd-sched.c \
	client/cli/topology.c \
	client/cli/commands.c \
	client/cli/load-config.c \
	client/cli/errors.c \
	client/cli/format.c \
	client/cli/help.c \
	client/cli/json.c client/cli/json.h
client_cli_libskiffcli_a_CPPFLAGS = $(CLIENT_CPPFLAGS)
client_cli_libskiffcli_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)

client_skiff_SOURCES = client/cli/main.c
client_skiff_CPPFLAGS = $(CLIENT_CPPFLAGS)
client_skiff_LDADD = client/cli/libskiffcli.a client/libskiff.la $(COMMON_LIBS)

# skiff-pki: a small CA on the openssl command line, for listen_tls and tls://.
dist_bin_SCRIPTS = client/skiff-pki
