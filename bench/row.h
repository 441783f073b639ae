/*
 * One result row on stdout, tab-separated: name, value, unit, target.
 * bench/report.awk turns the rows of every driver into the table and the
 * JSON, so the drivers agree on one format and nothing else.
 */
#ifndef SKIFF_BENCH_ROW_H
#define SKIFF_BENCH_ROW_H

/* target is "" or "<= X" / ">= X", checked against value by the report. */
void bench_row(const char *name, double value, int decimals, const char *unit,
               const char *target);

#endif
