# tests/tools: host programs that generate test inputs.
# mkelf writes the ELF loader corpus used by tests/integration/elf.bats.
check_PROGRAMS += tests/tools/mkelf
tests_tools_mkelf_SOURCES = tests/tools/mkelf.c

# tapfd hands an open tap to skiff-hv (--net:NAME=@FD).
check_PROGRAMS += tests/tools/tapfd
tests_tools_tapfd_SOURCES = tests/tools/tapfd.c

# hvctl drives a managed skiff-hv over its control socket, as hostd does.
check_PROGRAMS += tests/tools/hvctl
tests_tools_hvctl_SOURCES = tests/tools/hvctl.c
tests_tools_hvctl_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_tools_hvctl_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_tools_hvctl_LDADD = $(COMMON_LIBS)

# rawclient speaks hostd's API frame by frame, malformed frames included (hostd.bats).
check_PROGRAMS += tests/tools/rawclient
tests_tools_rawclient_SOURCES = tests/tools/rawclient.c
tests_tools_rawclient_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_tools_rawclient_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_tools_rawclient_LDADD = $(COMMON_LIBS)

# notifysink plays systemd's side of sd_notify (systemd.bats).
check_PROGRAMS += tests/tools/notifysink
tests_tools_notifysink_SOURCES = tests/tools/notifysink.c

# mktopo writes a synthetic sysfs CPU/NUMA tree for hostd's topology code.
check_PROGRAMS += tests/tools/mktopo
tests_tools_mktopo_SOURCES = tests/tools/mktopo.c tests/tools/topogen.c tests/tools/topogen.h \
	daemon/cpuset.c daemon/cpuset.h
# snapctl saves a managed skiff-hv to a snapshot file and restores one
# into skiff-hv --incoming, without hostd (saverestore-hv.bats).
check_PROGRAMS += tests/tools/snapctl
tests_tools_snapctl_SOURCES = tests/tools/snapctl.c
tests_tools_snapctl_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_tools_snapctl_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_tools_snapctl_LDADD = $(COMMON_LIBS)
# loadgen: bounded load and slow clients against a hostd (load.bats).
check_PROGRAMS += tests/tools/loadgen
tests_tools_loadgen_SOURCES = tests/tools/loadgen.c bench/procmem.c bench/procmem.h
tests_tools_loadgen_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS) -I$(top_srcdir)/client/include \
	-I$(top_srcdir)/bench
tests_tools_loadgen_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) -pthread
tests_tools_loadgen_LDADD = client/libskiff.la $(COMMON_LIBS) -lpthread

# fakepeer: a destination hostd that misbehaves mid-migration (migrate.bats).
check_PROGRAMS += tests/tools/fakepeer
tests_tools_fakepeer_SOURCES = tests/tools/fakepeer.c
tests_tools_fakepeer_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_tools_fakepeer_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(OPENSSL_CFLAGS)
tests_tools_fakepeer_LDADD = $(COMMON_LIBS) $(TLS_LIBS)

# fakesource: a source hostd that sends a spoilt stream (migrate.bats).
check_PROGRAMS += tests/tools/fakesource
tests_tools_fakesource_SOURCES = tests/tools/fakesource.c
tests_tools_fakesource_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS)
tests_tools_fakesource_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(OPENSSL_CFLAGS)
tests_tools_fakesource_LDADD = $(COMMON_LIBS) $(TLS_LIBS)
