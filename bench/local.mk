# bench: `make bench` builds the benchmark programs, runs them against the
# skiff-hv of this build, prints a table and writes bench/results.json.
# They are EXTRA_PROGRAMS: built only here, never by `make` or `make check`.
# (EXTRA_PROGRAMS is declared in Makefile.am; fragments add to it.)
EXTRA_PROGRAMS += bench/mkbenchguest bench/kvm-bare bench/hv-startup bench/hv-hypercall

bench_mkbenchguest_SOURCES = bench/mkbenchguest.c
bench_kvm_bare_SOURCES = bench/kvm-bare.c
bench_common = bench/row.c bench/row.h bench/spawn.c bench/spawn.h \
	bench/stats.c bench/stats.h
bench_hv_startup_SOURCES = bench/hv-startup.c $(bench_common)
# A small driver keeps the floor under ru_maxrss low (see hv-startup.c).
bench_hv_startup_LDFLAGS = $(HV_LDFLAGS)
bench_hv_hypercall_SOURCES = bench/hv-hypercall.c $(bench_common)

EXTRA_DIST += bench/report.awk

# Runs per measurement, and hypercalls per loop run.
BENCH_STARTUP_RUNS = 50
BENCH_HYPERCALL_RUNS = 31
BENCH_HYPERCALLS = 20000

bench_guests = bench/quiet.hvt bench/first-puts.hvt bench/walltime.hvt bench/walltime0.hvt
bench_built = bench/mkbenchguest$(EXEEXT) bench/kvm-bare$(EXEEXT) \
	bench/hv-startup$(EXEEXT) bench/hv-hypercall$(EXEEXT)
CLEANFILES += $(bench_built) $(bench_guests) bench/rows.tsv bench/results.json

# Quiet recipes: stdout is the table and nothing else.
bench: hypervisor/monitor/skiff-hv$(EXEEXT) $(bench_built)
	@bench/mkbenchguest bench $(BENCH_HYPERCALLS)
	@echo "bench: start-up, $(BENCH_STARTUP_RUNS) runs per guest and size..." >&2
	@bench/hv-startup hypervisor/monitor/skiff-hv$(EXEEXT) bench \
	    $(BENCH_STARTUP_RUNS) > bench/rows.tsv
	@echo "bench: hypercalls, $(BENCH_HYPERCALL_RUNS) runs of $(BENCH_HYPERCALLS)..." >&2
	@bench/hv-hypercall hypervisor/monitor/skiff-hv$(EXEEXT) bench/kvm-bare$(EXEEXT) \
	    bench $(BENCH_HYPERCALL_RUNS) >> bench/rows.tsv
	@$(AWK) -v json=bench/results.json -f $(srcdir)/bench/report.awk bench/rows.tsv
.PHONY: bench
