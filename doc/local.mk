# Manual pages.
dist_man_MANS += doc/skiff-hv.1
dist_man_MANS += doc/skiff.cfg.5
dist_man_MANS += doc/hostd.8
dist_man_MANS += doc/skiff.1
dist_man_MANS += doc/skiff-pki.1
EXTRA_DIST += doc/getting-started.md doc/operations.md doc/architecture.md doc/tls.md
EXTRA_DIST += doc/policy.md
EXTRA_DIST += doc/hardening.md
