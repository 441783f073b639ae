# bench: `make bench` builds the benchmark programs, runs them against the
# skiff-hv of this build, prints a table and writes bench/results.json.
# They are EXTRA_PROGRAMS: built only here, never by `make` or `make check`.
# (EXTRA_PROGRAMS is declared in Makefile.am; fragments add to it.)
EXTRA_PROGRAMS += bench/mkbenchguest bench/kvm-bare bench/hv-startup bench/hv-hypercall \
	bench/hv-smp

bench_mkbenchguest_SOURCES = bench/mkbenchguest.c
bench_kvm_bare_SOURCES = bench/kvm-bare.c
bench_common = bench/row.c bench/row.h bench/spawn.c bench/spawn.h \
	bench/stats.c bench/stats.h
bench_hv_startup_SOURCES = bench/hv-startup.c $(bench_common)
# A small driver keeps the floor under ru_maxrss low (see hv-startup.c).
bench_hv_startup_LDFLAGS = $(HV_LDFLAGS)
bench_hv_hypercall_SOURCES = bench/hv-hypercall.c $(bench_common)
bench_hv_smp_SOURCES = bench/hv-smp.c $(bench_common)

EXTRA_DIST += bench/report.awk

# Runs per measurement, and hypercalls per loop run.
BENCH_STARTUP_RUNS = 50
BENCH_HYPERCALL_RUNS = 31
BENCH_HYPERCALLS = 20000
BENCH_SMP_RUNS = 10

bench_guests = bench/quiet.hvt bench/first-puts.hvt bench/walltime.hvt bench/walltime0.hvt \
	bench/idle.hvt
bench_built = bench/mkbenchguest$(EXEEXT) bench/kvm-bare$(EXEEXT) \
	bench/hv-startup$(EXEEXT) bench/hv-hypercall$(EXEEXT) bench/hostd-api$(EXEEXT) \
	bench/tls-rate$(EXEEXT) \
	bench/hv-smp$(EXEEXT)
CLEANFILES += $(bench_built) $(bench_guests) bench/rows.tsv bench/results.json \
	bench/rows-hostd.tsv bench/results-hostd.json

# Quiet recipes: stdout is the table and nothing else.
bench: hypervisor/monitor/skiff-hv$(EXEEXT) $(bench_built) tests/guests/smp.hvt
	@bench/mkbenchguest bench $(BENCH_HYPERCALLS)
	@echo "bench: start-up, $(BENCH_STARTUP_RUNS) runs per guest and size..." >&2
	@bench/hv-startup hypervisor/monitor/skiff-hv$(EXEEXT) bench \
	    $(BENCH_STARTUP_RUNS) > bench/rows.tsv
	@echo "bench: hypercalls, $(BENCH_HYPERCALL_RUNS) runs of $(BENCH_HYPERCALLS)..." >&2
	@bench/hv-hypercall hypervisor/monitor/skiff-hv$(EXEEXT) bench/kvm-bare$(EXEEXT) \
	    bench $(BENCH_HYPERCALL_RUNS) >> bench/rows.tsv
	@echo "bench: SMP start-up, $(BENCH_SMP_RUNS) runs of 1, 64 and 512 vCPUs..." >&2
	@bench/hv-smp hypervisor/monitor/skiff-hv$(EXEEXT) tests/guests/smp.hvt \
	    $(BENCH_SMP_RUNS) >> bench/rows.tsv
	@echo "bench: topology and NUMA placement, 4095 CPUs and 64 nodes..." >&2
	@bench/topo-bench >> bench/rows.tsv
	@echo "bench: save and restore, $(BENCH_SAVE_RUNS) runs per size..." >&2
	@$(bench_save_run) >> bench/rows.tsv
	@echo "bench: hostd and API, up to $(BENCH_DOMAINS) domains..." >&2
	@st=0; $(bench_hostd_run) >> bench/rows.tsv || st=$$?; \
	$(bench_tls_run) >> bench/rows.tsv || st=$$?; \
	echo "bench: CPU pools and placement, 4095 CPUs, 64 nodes..." >&2; \
	$(bench_pool_run) >> bench/rows.tsv || st=$$?; \
	$(AWK) -v json=bench/results.json -f $(srcdir)/bench/report.awk bench/rows.tsv && \
	exit $$st
.PHONY: bench

# --- hostd and the API: hostd-api.c says what it measures. -------------
EXTRA_PROGRAMS += bench/hostd-api
bench_hostd_api_SOURCES = bench/hostd-api.c bench/hostd-api.h \
	bench/api-rates.c bench/cli-list.c bench/create-scale.c bench/scale-mem.c \
	bench/domains.c bench/domains.h \
	bench/hostd-run.c bench/hostd-run.h \
	bench/procmem.c bench/procmem.h \
	bench/rpc-rate.c bench/rpc-rate.h bench/policy-rate.c $(bench_common)
bench_hostd_api_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client/include
bench_hostd_api_LDADD = client/libskiff.la -lpthread

# Domains kept running at once (`make bench BENCH_DOMAINS=200` for a
# quicker run), seconds per RPC rate, runs per latency median.
BENCH_DOMAINS = 1000
BENCH_RPC_SECONDS = 2
BENCH_HOSTD_RUNS = 30

bench_hostd_deps = daemon/hostd$(EXEEXT) client/skiff$(EXEEXT) \
	hypervisor/monitor/skiff-hv$(EXEEXT) hypervisor/examples/ticker.hvt policy/skiff.policy
bench_hostd_run = bench/hostd-api daemon/hostd$(EXEEXT) \
	hypervisor/monitor/skiff-hv$(EXEEXT) client/skiff$(EXEEXT) bench \
	hypervisor/examples/ticker.hvt $(BENCH_DOMAINS) $(BENCH_RPC_SECONDS) \
	$(BENCH_HOSTD_RUNS)
bench: $(bench_hostd_deps)

# --- mutual TLS: tls-rate.c says what it measures. ---------------------
EXTRA_PROGRAMS += bench/tls-rate
bench_tls_rate_SOURCES = bench/tls-rate.c bench/tls-raw.c bench/tls-raw.h \
	bench/hostd-run.c bench/hostd-run.h \
	bench/rpc-rate.c bench/rpc-rate.h $(bench_common)
bench_tls_rate_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS) -I$(top_srcdir)/client/include
bench_tls_rate_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(OPENSSL_CFLAGS)
bench_tls_rate_LDADD = client/libskiff.la $(COMMON_LIBS) $(TLS_LIBS) -lpthread
BENCH_TLS_SECONDS = 2
bench_tls_run = bench/tls-rate daemon/hostd$(EXEEXT) hypervisor/monitor/skiff-hv$(EXEEXT) \
	$(srcdir)/client/skiff-pki $(abs_builddir)/hypervisor/examples/ticker.hvt \
	$(BENCH_TLS_SECONDS)

# Only these rows, with their own JSON: for working on hostd.
bench-hostd: $(bench_hostd_deps) bench/mkbenchguest$(EXEEXT) bench/hostd-api$(EXEEXT) \
	bench/tls-rate$(EXEEXT)
	@bench/mkbenchguest bench $(BENCH_HYPERCALLS)
	@echo "bench: save and restore, $(BENCH_SAVE_RUNS) runs per size..." >&2
	@$(bench_save_run) > bench/rows-hostd.tsv
	@echo "bench: live migration, $(BENCH_MIGRATE_RUNS) runs..." >&2
	@$(bench_migrate_run) >> bench/rows-hostd.tsv
	@echo "bench: hostd and API, up to $(BENCH_DOMAINS) domains..." >&2
	@st=0; $(bench_hostd_run) >> bench/rows-hostd.tsv || st=$$?; \
	$(bench_tls_run) >> bench/rows-hostd.tsv || st=$$?; \
	echo "bench: CPU pools and placement, 4095 CPUs, 64 nodes..." >&2; \
	$(bench_pool_run) >> bench/rows-hostd.tsv || st=$$?; \
	$(AWK) -v json=bench/results-hostd.json -f $(srcdir)/bench/report.awk \
	    bench/rows-hostd.tsv && exit $$st
.PHONY: bench-hostd

# --- CPU pools and NUMA placement on a synthetic 4095-CPU, 64-node host. ---
EXTRA_PROGRAMS += bench/pool-bench
bench_pool_bench_SOURCES = bench/pool-bench.c bench/hostd-run.c bench/hostd-run.h \
	$(daemon_topo_sources) $(bench_common)
bench_pool_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client/include
bench_pool_bench_LDADD = client/libskiff.la
BENCH_POOL_RUNS = 30
bench_pool_deps = bench/pool-bench$(EXEEXT) daemon/hostd$(EXEEXT) \
	hypervisor/monitor/skiff-hv$(EXEEXT) tests/tools/mktopo$(EXEEXT) \
	hypervisor/examples/ticker.hvt
bench_pool_run = bench/pool-bench daemon/hostd$(EXEEXT) hypervisor/monitor/skiff-hv$(EXEEXT) \
	tests/tools/mktopo$(EXEEXT) $(abs_builddir)/hypervisor/examples/ticker.hvt \
	$(BENCH_POOL_RUNS)
CLEANFILES += bench/pool-bench$(EXEEXT) bench/rows-pool.tsv bench/results-pool.json
bench: $(bench_pool_deps)
bench-hostd: $(bench_pool_deps)

# Only the pool rows, with their own JSON.
bench-pool: $(bench_pool_deps)
	@echo "bench: CPU pools and placement, 4095 CPUs, 64 nodes..." >&2
	@st=0; $(bench_pool_run) > bench/rows-pool.tsv || st=$$?; \
	$(AWK) -v json=bench/results-pool.json -f $(srcdir)/bench/report.awk \
	    bench/rows-pool.tsv && exit $$st
.PHONY: bench-pool

# --- hostd's topology and placement library: topo-bench.c says what it measures.
EXTRA_PROGRAMS += bench/topo-bench
bench_topo_bench_SOURCES = bench/topo-bench.c bench/row.c bench/row.h bench/stats.c \
	bench/stats.h $(daemon_topo_sources) tests/tools/topogen.c tests/tools/topogen.h
bench: bench/topo-bench$(EXEEXT)
CLEANFILES += bench/topo-bench$(EXEEXT)
# --- save and restore: save-restore.c says what it measures. -----------
EXTRA_PROGRAMS += bench/save-restore
bench_save_restore_SOURCES = bench/save-restore.c bench/hostd-run.c bench/hostd-run.h \
	$(bench_common)
bench_save_restore_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client/include
bench_save_restore_LDADD = client/libskiff.la
BENCH_SAVE_RUNS = 10
bench_save_deps = daemon/hostd$(EXEEXT) hypervisor/monitor/skiff-hv$(EXEEXT) \
	tests/guests/clocks.hvt bench/save-restore$(EXEEXT)
bench_save_run = bench/save-restore daemon/hostd$(EXEEXT) \
	hypervisor/monitor/skiff-hv$(EXEEXT) tests/guests/clocks.hvt bench $(BENCH_SAVE_RUNS)
CLEANFILES += bench/save-restore$(EXEEXT) bench/rows-save.tsv bench/results-save.json
bench: $(bench_save_deps)
bench-hostd: $(bench_save_deps)

# Only the save/restore rows.
bench-save: $(bench_save_deps)
	@echo "bench: save and restore, $(BENCH_SAVE_RUNS) runs per size..." >&2
	@st=0; $(bench_save_run) > bench/rows-save.tsv || st=$$?; \
	$(AWK) -v json=bench/results-save.json -f $(srcdir)/bench/report.awk \
	    bench/rows-save.tsv && exit $$st
.PHONY: bench-save

# --- live migration: migrate-bench.c says what it measures. -----------
EXTRA_PROGRAMS += bench/migrate-bench
bench_migrate_bench_SOURCES = bench/migrate-bench.c bench/tls-raw.c bench/tls-raw.h \
	bench/hostd-run.c bench/hostd-run.h $(bench_common)
bench_migrate_bench_CPPFLAGS = $(AM_CPPFLAGS) $(COMMON_CPPFLAGS) -I$(top_srcdir)/client/include
bench_migrate_bench_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(OPENSSL_CFLAGS)
bench_migrate_bench_LDADD = client/libskiff.la $(COMMON_LIBS) $(TLS_LIBS) -lpthread
BENCH_MIGRATE_RUNS = 10
bench_migrate_deps = daemon/hostd$(EXEEXT) hypervisor/monitor/skiff-hv$(EXEEXT) \
	hypervisor/examples/ticker.hvt tests/guests/dirty.hvt bench/migrate-bench$(EXEEXT)
bench_migrate_run = bench/migrate-bench daemon/hostd$(EXEEXT) \
	hypervisor/monitor/skiff-hv$(EXEEXT) $(srcdir)/client/skiff-pki \
	hypervisor/examples/ticker.hvt tests/guests/dirty.hvt $(BENCH_MIGRATE_RUNS)
CLEANFILES += bench/migrate-bench$(EXEEXT) bench/rows-migrate.tsv bench/results-migrate.json
bench: $(bench_migrate_deps)
bench-hostd: $(bench_migrate_deps)

# Only the migration rows.
bench-migrate: $(bench_migrate_deps)
	@echo "bench: live migration, $(BENCH_MIGRATE_RUNS) runs..." >&2
	@st=0; $(bench_migrate_run) > bench/rows-migrate.tsv || st=$$?; \
	$(AWK) -v json=bench/results-migrate.json -f $(srcdir)/bench/report.awk \
	    bench/rows-migrate.tsv && exit $$st
.PHONY: bench-migrate
