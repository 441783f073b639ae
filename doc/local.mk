# Manual pages.
dist_man_MANS += doc/skiff-hv.1
