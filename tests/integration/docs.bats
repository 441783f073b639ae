#!/usr/bin/env bats
# The built-in help and the manual pages agree: every command and option a
# program shows in its --help (or `skiff help`) is documented in its man
# page, and every command skiff.1 documents exists. Needs no KVM and no hostd.

load helpers

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"
: "${SKIFF_HOSTD:?run through make check (SKIFF_HOSTD unset)}"
: "${SKIFF_SRCDIR:?run through make check (SKIFF_SRCDIR unset)}"

DOC="$SKIFF_SRCDIR/doc"

# man_text PAGE: the roff source with \- as - and font escapes removed, so
# options can be searched for as they are spelled on the command line.
man_text() {
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(dq/"/g' "$DOC/$1"
}

# help_commands: the commands listed by `skiff help`.
help_commands() {
    "$SKIFF_CLI" help | sed -n '/^Commands:/,/^$/p' | awk '/^  [a-z]/ { print $1 }'
}

# man_commands: the commands skiff.1 documents, the first word of each
# top-level .TP entry of its COMMANDS section (options nested in .RS are
# spelled with a dash or in capitals, so they do not match).
man_commands() {
    man_text skiff.1 | awk '
        /^\.SH / { on = ($2 == "COMMANDS"); next }
        on && /^\.TP/ { tp = 1; next }
        on && tp { tp = 0; if ($1 ~ /^\.B[IR]?$/ && $2 ~ /^"?[a-z][a-z-]*/) { w = $2; gsub(/"/, "", w); print w } }'
}

# help_options: every option (--long, -x) that starts an option line of
# a help text on stdin, without its value ("--mem=512" -> "--mem",
# "--block:NAME=PATH" -> "--block").
help_options() {
    awk '/^ *\[? *-/ {
            for (i = 1; i <= NF; i++) {
                w = $i
                if (w == "[") continue        # skiff-hv: "[ --mem=512 ]"
                sub(/^\[/, "", w)
                if (w !~ /^--?[a-zA-Z]/) break
                sub(/[,=:[].*$/, "", w)
                print w
            }
        }' | sort -u
}

# expect_documented PAGE OPTION...: each OPTION appears in PAGE as a whole
# word (not just as the start of a longer option).
expect_documented() {
    local page="$1" text opt missing=
    shift
    text="$(man_text "$page")"
    for opt in "$@"; do
        grep -qE -- "(^|[^a-zA-Z-])${opt}([^a-zA-Z-]|\$)" <<<"$text" || missing="$missing $opt"
    done
    [ -z "$missing" ] || { echo "not in doc/$page:$missing"; return 1; }
}

@test "every command of 'skiff help' has a 'skiff help CMD' text" {
    local cmds c
    cmds="$(help_commands)"
    [ -n "$cmds" ]
    for c in $cmds; do
        run "$SKIFF_CLI" help "$c"
        [ "$status" -eq 0 ] || { echo "skiff help $c: status $status: $output"; return 1; }
        [[ "$output" == "Usage: skiff $c"* ]] || { echo "skiff help $c: $output"; return 1; }
    done
}

@test "skiff help and skiff.1 list the same commands" {
    local in_help in_man
    in_help="$(help_commands | sort -u)"
    in_man="$(man_commands | sort -u)"
    [ -n "$in_man" ]
    local only_help only_man
    only_help="$(comm -23 <(echo "$in_help") <(echo "$in_man"))"
    only_man="$(comm -13 <(echo "$in_help") <(echo "$in_man"))"
    [ -z "$only_help$only_man" ] || {
        echo "in 'skiff help' but not in doc/skiff.1: ${only_help//$'\n'/ }"
        echo "in doc/skiff.1 but not in 'skiff help': ${only_man//$'\n'/ }"
        return 1
    }
}

@test "every option of skiff and of each skiff command is in skiff.1" {
    local opts c
    # shellcheck disable=SC2207
    opts=($("$SKIFF_CLI" --help | help_options))
    for c in $(help_commands); do
        # shellcheck disable=SC2207
        opts+=($("$SKIFF_CLI" help "$c" | help_options))
    done
    [ "${#opts[@]}" -gt 5 ]
    expect_documented skiff.1 "${opts[@]}"
}

@test "every option of 'hostd --help' is in hostd.8" {
    run "$SKIFF_HOSTD" --help
    [ "$status" -eq 0 ]
    local opts
    # shellcheck disable=SC2207
    opts=($(help_options <<<"$output"))
    [ "${#opts[@]}" -gt 5 ]
    expect_documented hostd.8 "${opts[@]}"
}

@test "every option of 'skiff-hv --help' is in skiff-hv.1" {
    # skiff-hv --help exits 1, as solo5-hvt does (skiff-hv.1 says so).
    run "$SKIFF_HV" --help
    [ "$status" -eq 1 ]
    local opts
    # shellcheck disable=SC2207
    opts=($(help_options <<<"$output"))
    [ "${#opts[@]}" -gt 5 ]
    expect_documented skiff-hv.1 "${opts[@]}"
}

@test "every command and option of 'skiff-pki --help' is in skiff-pki.1" {
    run sh "$SKIFF_SRCDIR/client/skiff-pki" --help
    [ "$status" -eq 0 ]
    local words
    # shellcheck disable=SC2207
    words=($(printf '%s\n' "$output" | awk '/^  [a-z][a-z-]+ / { print $1 }')
           $(printf '%s\n' "$output" | grep -o -- '--[a-z]*' | sort -u))
    [ "${#words[@]}" -gt 8 ]
    expect_documented skiff-pki.1 "${words[@]}"
}
