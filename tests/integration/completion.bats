#!/usr/bin/env bats
# Bash completion for skiff (completion/skiff), run for real: a fresh bash
# sources the script, sets COMP_WORDS/COMP_CWORD as readline would and calls
# the completion function; domain names come from a real hostd.

load helpers
load hostd

: "${SKIFF_CLI:?run through make check (SKIFF_CLI unset)}"
: "${SKIFF_SRCDIR:?run through make check (SKIFF_SRCDIR unset)}"

COMPLETION="$SKIFF_SRCDIR/completion/skiff"

setup() {
    STATE=
    HOSTD_PID=
    TMP="$(mktemp -d /tmp/completion-test.XXXXXX)"
    unset SKIFF_URI
}

teardown() {
    if [ -n "${HOSTD_PID:-}" ]; then
        local d
        for d in ticker idle; do
            timeout -k 10s 10s "$SKIFF_CLI" -c "unix://$SOCK" destroy "$d" >/dev/null 2>&1 || true
            timeout -k 10s 10s "$SKIFF_CLI" -c "unix://$SOCK" undefine "$d" >/dev/null 2>&1 || true
        done
    fi
    hostd_teardown
    rm -rf "$TMP"
}

# complete WORD...: the completions offered for the command line WORD...
# (the last word is the one being completed; "" for a fresh word), one a
# line and sorted, in $output. Word 0 is the skiff under test.
complete_words() {
    run timeout -k 10s 60s bash -c '
        source "$1" || exit 1
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        _skiff || exit 1
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$COMPLETION" "$SKIFF_CLI" "$@"
    [ "$status" -eq 0 ] || { echo "completion failed ($status): $output"; return 1; }
}

# expect_words WORD...: $output is exactly these completions (any order).
expect_words() {
    local want
    want="$(printf '%s\n' "$@" | sed '/^$/d' | sort)"
    [ "$output" = "$want" ] || {
        printf 'completions:\n%s\nexpected:\n%s\n' "$output" "$want"
        return 1
    }
}

@test "the script is valid bash and registers _skiff for skiff" {
    run bash -c 'source "$1" && complete -p skiff' _ "$COMPLETION"
    [ "$status" -eq 0 ]
    [[ "$output" == *"-F _skiff skiff"* ]]
}

@test "skiff <TAB>: every command of 'skiff help', and nothing else" {
    run "$SKIFF_CLI" help
    [ "$status" -eq 0 ]
    local cmds
    cmds="$(printf '%s\n' "$output" | sed -n '/^Commands:/,/^$/p' | awk '/^  [a-z]/ { print $1 }')"
    [ -n "$cmds" ]
    complete_words ""
    # shellcheck disable=SC2086
    expect_words $cmds
    expect_output_has create define start list pause unpause shutdown destroy console events help
}

@test "skiff pa<TAB> completes to pause; skiff sh<TAB> to shutdown" {
    complete_words pa
    expect_words pause
    complete_words sh
    expect_words shutdown
}

@test "skiff -<TAB>: the global options" {
    complete_words -
    expect_words -c --connect --json -h --help -V --version
}

@test "skiff shutdown -<TAB>: its options; -t takes a value" {
    complete_words shutdown -
    expect_words -w --wait -t --timeout -h --help
    complete_words shutdown --t
    expect_words --timeout
    # The value of -t is a number: nothing to offer, certainly not options.
    complete_words shutdown -t ""
    expect_words
}

@test "skiff list -<TAB> and skiff events --<TAB>: their options" {
    complete_words list -
    expect_words -l --long -r --running --json -h --help
    complete_words events --
    expect_words --since --count --timeout --json --help
}

@test "skiff help <TAB>: command names" {
    complete_words help unp
    expect_words unpause
}

@test "skiff create <TAB>: configuration files" {
    mkdir "$TMP/cfgs" "$TMP/cfgs/sub"
    touch "$TMP/cfgs/web.cfg" "$TMP/cfgs/db.cfg" "$TMP/cfgs/notes.txt"
    complete_words create "$TMP/cfgs/"
    expect_words "$TMP/cfgs/web.cfg" "$TMP/cfgs/db.cfg" "$TMP/cfgs/sub"
    complete_words define -n "$TMP/cfgs/w"
    expect_words "$TMP/cfgs/web.cfg"
}

@test "skiff pause <TAB>: domain names from a real hostd, by state" {
    require_kvm
    hostd_start
    export SKIFF_URI="unix://$SOCK"
    printf 'name = "ticker"\nkernel = "%s"\nmemory = 16\n' "$SKIFF_EXAMPLES/ticker.hvt" >"$TMP/ticker.cfg"
    printf 'name = "idle"\nkernel = "%s"\nmemory = 16\n' "$SKIFF_EXAMPLES/ticker.hvt" >"$TMP/idle.cfg"
    run "$SKIFF_CLI" create "$TMP/ticker.cfg"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    run "$SKIFF_CLI" define "$TMP/idle.cfg"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }

    complete_words pause ""
    expect_words ticker
    complete_words pause t
    expect_words ticker
    complete_words start ""
    expect_words idle
    complete_words dominfo ""
    expect_words idle ticker
    complete_words shutdown -w ""
    expect_words idle ticker
    # rename DOMAIN NEWNAME: the new name is not completed.
    complete_words rename ticker ""
    expect_words

    run "$SKIFF_CLI" pause ticker
    [ "$status" -eq 0 ]
    complete_words pause ""
    expect_words
    complete_words unpause ""
    expect_words ticker
}

@test "skiff -c URI pause <TAB>: asks the hostd named on the line" {
    require_kvm
    hostd_start
    printf 'name = "ticker"\nkernel = "%s"\nmemory = 16\n' "$SKIFF_EXAMPLES/ticker.hvt" >"$TMP/ticker.cfg"
    run "$SKIFF_CLI" -c "unix://$SOCK" create "$TMP/ticker.cfg"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    # SKIFF_URI is unset and the default socket is not ours.
    complete_words -c "unix://$SOCK" pause ""
    expect_words ticker
}

@test "cpupool and sched-credit commands: pools and domains from a real hostd" {
    hostd_start
    export SKIFF_URI="unix://$SOCK"
    printf 'name = "web"\n' >"$TMP/web.cfg"
    run "$SKIFF_CLI" cpupool-create "$TMP/web.cfg"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    printf 'name = "idle"\nkernel = "%s"\nmemory = 16\n' "$SKIFF_EXAMPLES/ticker.hvt" >"$TMP/idle.cfg"
    run "$SKIFF_CLI" define "$TMP/idle.cfg"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }

    complete_words cpupool-destroy ""
    expect_words Pool-0 web
    complete_words cpupool-cpu-add w
    expect_words web
    complete_words cpupool-migrate ""
    expect_words idle
    complete_words cpupool-migrate idle ""
    expect_words Pool-0 web
    complete_words sched-credit -d ""
    expect_words idle
    complete_words sched-credit --
    expect_words --cap --domain --help --json --weight
    complete_words vcpu-pin idle ""
    expect_words all
    complete_words vcpu-pin idle 0 ""
    expect_words all -
    complete_words info -
    expect_words -h --help --json -n --numa
}

@test "no hostd: domain completion offers nothing, quietly" {
    export SKIFF_URI="unix://$TMP/nothing.sock"
    complete_words pause ""
    expect_words
}
