# The .proto files are the one source of truth for every wire format;
# protoc-c generates the C at build time into the build tree.
PROTO_FILES = proto/skiff.proto proto/monitor.proto proto/snapshot.proto
PROTO_GEN = proto/skiff.pb-c.c proto/skiff.pb-c.h proto/monitor.pb-c.c proto/monitor.pb-c.h \
	proto/snapshot.pb-c.c proto/snapshot.pb-c.h
BUILT_SOURCES += $(PROTO_GEN)
CLEANFILES += $(PROTO_GEN)
EXTRA_DIST += $(PROTO_FILES)

# One invocation writes both the .c and the .h (a grouped pattern rule).
proto/%.pb-c.c proto/%.pb-c.h: $(top_srcdir)/proto/%.proto
	@$(MKDIR_P) proto
	$(AM_V_GEN)$(PROTOC_C) --proto_path=$(top_srcdir)/proto --c_out=proto $<
