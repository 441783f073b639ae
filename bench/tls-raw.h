/* Raw loopback TLS throughput and the PKI for benchmarks (tls-raw.c). */
#ifndef SKIFF_BENCH_TLS_RAW_H
#define SKIFF_BENCH_TLS_RAW_H

/* Run argv (stdout to /dev/null), wait: 0 when it exits 0, else -1. */
int bench_run_cmd(char *const argv[]);
/* A CA, a host certificate (localhost, 127.0.0.1) and a client "bench"
 * in dir, made by skiff-pki at pki_tool. */
int bench_make_pki(const char *pki_tool, const char *dir);
/* MB/s through one loopback connection for seconds; dir: the PKI for
 * TLS, NULL for plain TCP. 0 or -1. */
int bench_tls_throughput(const char *dir, double seconds, double *mbps);
/* The same over TLS, the receiver writing what it reads into fresh memfd
 * memory (a new 128 MiB memfd whenever one is full), as a migration's
 * destination must: the reference that includes materialising memory. */
int bench_tls_into_memory(const char *dir, double seconds, double *mbps);

#endif
