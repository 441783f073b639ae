# report.awk -v json=FILE: turn the drivers' rows (name TAB value TAB unit
# TAB target) into the table on stdout and the same rows as JSON in FILE.
# A target is "<= X" or ">= X"; rows with one get "pass". Exits 1 when a
# row is malformed, so a broken driver cannot pass for a slow one.
BEGIN {
    FS = "\t"
    n = 0
    fmt = "%-40s %12s  %-5s  %s\n"
    printf fmt, "benchmark", "value", "unit", "target"
}

NF != 4 || $2 !~ /^-?[0-9]+(\.[0-9]+)?$/ {
    printf "report.awk: bad row %d: %s\n", NR, $0 > "/dev/stderr"
    bad = 1
    next
}

{
    n++
    name[n] = $1; value[n] = $2; unit[n] = $3; target[n] = $4
    pass[n] = ""
    if (split($4, t, " ") == 2 && (t[1] == "<=" || t[1] == ">=")) {
        ok = t[1] == "<=" ? $2 + 0 <= t[2] + 0 : $2 + 0 >= t[2] + 0
        pass[n] = ok ? "true" : "false"
    }
    shown = $4
    if (pass[n] != "")
        shown = shown (ok ? "  ok" : "  MISSED")
    printf fmt, $1, $2, $3, shown
}

END {
    printf "[\n" > json
    for (i = 1; i <= n; i++) {
        printf "  {\"name\": \"%s\", \"value\": %s, \"unit\": \"%s\"", \
            name[i], value[i], unit[i] > json
        if (target[i] != "")
            printf ", \"target\": \"%s\"", target[i] > json
        if (pass[i] != "")
            printf ", \"pass\": %s", pass[i] > json
        printf "}%s\n", i < n ? "," : "" > json
    }
    printf "]\n" > json
    close(json)
    exit bad
}
