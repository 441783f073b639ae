# daemon: hostd, the management daemon.

# The store (daemon/store.c) as its own convenience library: hostd and the unit tests link it.
noinst_LIBRARIES += daemon/libstore.a
daemon_libstore_a_SOURCES = daemon/store.c daemon/store.h
daemon_libstore_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
