# Installation beyond programs and libraries: the systemd unit, the default
# configuration, and Debian packages (`make deb`, not part of `make all`).

# Both are generated at make time, not by configure, so they carry the
# expanded installation directories (configure would leave ${prefix} in).
edit_paths = $(SED) \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@statedir[@]|$(localstatedir)/lib/skiff|g' \
	-e 's|@rundir[@]|$(runstatedir)/skiff|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@policydir[@]|$(pkgdatadir)/policy|g'

# The unit: Type=notify, monitors survive a restart of the service. Its
# ExecStart names the hostd `make install` puts in $(sbindir).
systemdunitdir = $(prefix)/lib/systemd/system
nodist_systemdunit_DATA = systemd/hostd.service
systemd/hostd.service: $(top_srcdir)/systemd/hostd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && $(edit_paths) $(top_srcdir)/systemd/hostd.service.in > $@.tmp && mv $@.tmp $@

# The default configuration: every key commented out with its default.
skiffconfdir = $(sysconfdir)/skiff
nodist_skiffconf_DATA = etc/hostd.conf
etc/hostd.conf: $(top_srcdir)/etc/hostd.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && $(edit_paths) $(top_srcdir)/etc/hostd.conf.in > $@.tmp && mv $@.tmp $@

CLEANFILES += systemd/hostd.service etc/hostd.conf
EXTRA_DIST += systemd/hostd.service.in etc/hostd.conf.in

# Debian packages (hostd, skiff, libskiff0, libskiff-dev), built from a copy
# of the distribution so neither tree is touched; the .debs land in deb/.
DEBIAN_FILES = \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format \
	debian/hostd.install debian/hostd.postinst \
	debian/skiff.install debian/libskiff0.install debian/libskiff-dev.install \
	debian/not-installed
EXTRA_DIST += $(DEBIAN_FILES)

deb:
	rm -rf deb && $(MKDIR_P) deb
	$(MAKE) $(AM_MAKEFLAGS) distdir distdir=deb/$(PACKAGE)-$(VERSION)
	cd deb/$(PACKAGE)-$(VERSION) && dpkg-buildpackage -b -us -uc
	rm -rf deb/$(PACKAGE)-$(VERSION)
	@ls deb/*.deb
.PHONY: deb
clean-local: clean-deb
clean-deb:
	rm -rf deb
.PHONY: clean-deb
