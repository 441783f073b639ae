#!/usr/bin/env bats
# The hvt ABI end to end: libskiff-guest test unikernels on the real
# skiff-hv and /dev/kvm. Modelled on the hvt cases of Solo5's test suite.

load helpers
bats_require_minimum_version 1.5.0

setup() {
    require_kvm
}

teardown() {
    net_teardown
}

# --- image and start-up -------------------------------------------------

@test "noexec host: a guest image cannot be run as a host program" {
    run -127 "$(guest hello)"
    [ "$status" -eq 127 ] || { echo "status $status: $output"; false; }
    [[ "$output" == *"No such file or directory"* ||
       "$output" == *"required file not found"* ]] || { echo "$output"; false; }
}

@test "hello: exact command line, runtime banner, SUCCESS" {
    hv_run "$(guest hello)" Hello_Skiff
    expect_success
    expect_output_has "Command line is: 'Hello_Skiff'" "Skiff: "
}

@test "hello: several arguments are joined by single spaces" {
    hv_run "$(guest hello)" one two "three four" -x --y=1
    expect_success
    expect_output_has "Command line is: 'one two three four -x --y=1'"
}

@test "hello: no arguments give an empty command line" {
    hv_run "$(guest hello)"
    expect_success
    expect_output_has "Command line is: ''"
}

@test "quiet: --solo5:quiet silences the runtime" {
    hv_run -- "$(guest quiet)" --solo5:quiet
    expect_success
    expect_output_has "level=0 cmdline=''"
    expect_output_lacks "Skiff:" "Solo5:"
}

@test "quiet: --skiff:quiet is stripped from the command line" {
    hv_run -- "$(guest quiet)" --skiff:quiet rest of line
    expect_success
    expect_output_has "level=0 cmdline='rest of line'"
    expect_output_lacks "Skiff:" "Solo5:"
}

@test "quiet: without the token the runtime logs (control)" {
    hv_run "$(guest quiet)"
    expect_success
    expect_output_has "level=3 cmdline=''" "Skiff: "
}

@test "quiet: log-level tokens: the last one wins, others stay" {
    hv_run -- "$(guest quiet)" --solo5:quiet --skiff:debug --skiff:bogus x
    expect_success
    expect_output_has "level=4 cmdline='--skiff:bogus x'"
}

@test "output: 4 KiB through one PUTS arrive intact" {
    hv_run "$(guest output)" Output_Skiff
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    local lines
    lines=$(printf '%s\n' "$output" | grep -cE '^[0-9]{2} [a-z]{60}$')
    [ "$lines" -eq 64 ] || { echo "$lines intact lines of 64"; false; }
    printf '%s\n' "$output" | grep -qx '63 [a-z]*'
    expect_output_has SUCCESS
}

@test "printf: the runtime's formatting and number parsing" {
    hv_run "$(guest printf)"
    expect_success
    expect_output_lacks FAILURE
}

@test "globals: initialised data is writable" {
    hv_run "$(guest globals)"
    expect_success
}

# --- faults ---------------------------------------------------------------

@test "exception: a write above memory is a #PF and aborts" {
    hv_run "$(guest exception)"
    expect_abort
    expect_output_has "trap: type=#PF" "cr2=0x400000000"
}

@test "zeropage: a write to GPA 8 aborts" {
    hv_run "$(guest zeropage)"
    expect_abort
    expect_output_has "trap: type=#PF" "cr2=0x8"
}

@test "xnow: a write to .text stops the guest in the monitor" {
    hv_run "$(guest xnow)"
    expect_fail_with 1 "host/guest translation fault"
    expect_output_lacks FAILURE
}

@test "notls: %fs:0x28 with FS base 0 aborts" {
    hv_run "$(guest notls)"
    expect_abort
    expect_output_has "cr2=0x28"
}

@test "tls: initialised and zero thread-local variables" {
    hv_run "$(guest tls)"
    expect_success
}

@test "ssp: stack smashing is detected" {
    hv_run "$(guest ssp)"
    expect_abort
    expect_output_has "Stack corruption detected"
}

@test "fpu: SSE works natively or fails as an emulation error" {
    hv_run "$(guest fpu)"
    if [ "$status" -eq 0 ]; then
        expect_success
    else
        # Under a nested KVM that emulates every instruction.
        expect_fail_with 1 "internal error"
    fi
}

@test "dumpcore: an abort writes core.* into the --dumpcore directory" {
    local dir="$BATS_TEST_TMPDIR/cores"
    mkdir -p "$dir"
    hv_run --dumpcore="$dir" "$(guest dumpcore)"
    expect_abort
    local core
    core=$(ls "$dir"/core.* 2>/dev/null | head -1)
    [ -n "$core" ] || { echo "no core in $dir: $output"; false; }
    # The path ends an output line, and the file is an ELF core.
    [[ "$output"$'\n' == *"$core"$'\n'* ]] || { echo "no line ends with $core: $output"; false; }
    [ "$(head -c 4 "$core" | od -An -c | tr -d ' ')" = '177ELF' ]
}

# --- time -------------------------------------------------------------------

@test "time: monotonic clock, 1 s POLL sleeps, wall clock" {
    hv_run "$(guest time)"
    expect_success
    [ "$(printf '%s\n' "$output" | grep -c '^round [0-9]*: slept')" -eq 5 ]
}

# --- block --------------------------------------------------------------------

@test "blk: 512-byte sectors" {
    local img="$BATS_TEST_TMPDIR/disk.img"
    truncate -s 4M "$img"
    hv_run --block:storage="$img" -- "$(guest blk)"
    expect_success
    expect_output_has "block size 512" "821 blocks verified"
    # Block 0 reached the file.
    [ "$(head -c 512 "$img" | tr -d '\0' | wc -c)" -gt 0 ]
}

@test "blk: block-sector-size=4096" {
    local img="$BATS_TEST_TMPDIR/disk.img"
    truncate -s 4M "$img"
    hv_run --block:storage="$img" --block-sector-size:storage=4096 -- "$(guest blk)"
    expect_success
    expect_output_has "block size 4096" "104 blocks verified"
}

@test "blk: misaligned image size is refused" {
    local img="$BATS_TEST_TMPDIR/disk.img"
    truncate -s 6144 "$img"
    hv_run --block:storage="$img" --block-sector-size:storage=4096 -- "$(guest blk)"
    expect_fail_with 1 "Backing storage size must be block aligned"
}

@test "blk: odd sector size is refused" {
    local img="$BATS_TEST_TMPDIR/disk.img"
    truncate -s 1563 "$img"
    hv_run --block:storage="$img" --block-sector-size:storage=521 -- "$(guest blk)"
    expect_fail_with 1 "Block size must be a multiple of 2"
}

@test "blk: sector size below 512 is refused" {
    local img="$BATS_TEST_TMPDIR/disk.img"
    truncate -s 256 "$img"
    hv_run --block:storage="$img" --block-sector-size:storage=256 -- "$(guest blk)"
    expect_fail_with 1 "Block size must be a multiple of 2 greater than or equal 512"
}

@test "mft_maxdevices: 63 block devices" {
    local args=() i
    for i in $(seq 0 62); do
        truncate -s 4096 "$BATS_TEST_TMPDIR/s$i.img"
        args+=("--block:storage$i=$BATS_TEST_TMPDIR/s$i.img")
    done
    hv_run "${args[@]}" -- "$(guest mft_maxdevices)"
    expect_success
    expect_output_has "storage0: handle 1, capacity 4096" "storage62: handle 63, capacity 4096"
}

# --- net (in a private network namespace) ----------------------------------

@test "net: answers ARP and ping at 10.0.0.2" {
    local n=50 out="$BATS_TEST_TMPDIR/hv.out"
    net_setup
    hv_start_in_netns "$out" --net:service0=tap0 -- "$(guest net)" limit=$n
    wait_for_text "$out" "Serving ping on 10.0.0.2"
    run ip netns exec "$NETNS" ping -c $n -i 0.01 -W 2 10.0.0.2
    local ping_status=$status ping_output=$output
    local hv_status=0
    wait "$HV_PID" || hv_status=$?
    output=$(cat "$out")
    [ "$ping_status" -eq 0 ] || { echo "ping: $ping_output"; echo "guest: $output"; false; }
    [[ "$ping_output" == *"$n packets transmitted, $n received"* ]] || { echo "$ping_output"; false; }
    status=$hv_status
    expect_success
    expect_output_has "with MAC: " "MTU is 1500" "Answered $n echo requests"
}

@test "net: the guest sees the tap's MTU (9000) and echoes jumbo frames" {
    local out="$BATS_TEST_TMPDIR/hv.out"
    net_setup 9000
    hv_start_in_netns "$out" --net:service0=tap0 -- "$(guest net)" limit=3
    wait_for_text "$out" "Serving ping on 10.0.0.2"
    run ip netns exec "$NETNS" ping -c 3 -i 0.05 -W 2 -s 8000 -M do 10.0.0.2
    local ping_status=$status ping_output=$output
    local hv_status=0
    wait "$HV_PID" || hv_status=$?
    output=$(cat "$out")
    [ "$ping_status" -eq 0 ] || { echo "ping: $ping_output"; echo "guest: $output"; false; }
    [[ "$ping_output" == *"3 received"* ]] || { echo "$ping_output"; false; }
    status=$hv_status
    expect_success
    expect_output_has "MTU is 9000"
}

# --- examples -----------------------------------------------------------------

@test "example hello: greets and shows its command line" {
    hv_run "$SKIFF_EXAMPLES/hello.hvt" demo run
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    expect_output_has "Hello from a Skiff unikernel!" "Command line: 'demo run'"
}

@test "example ticker: N ticks, then exit 0" {
    hv_run "$SKIFF_EXAMPLES/ticker.hvt" 3
    [ "$status" -eq 0 ] || { echo "status $status: $output"; false; }
    [ "$(printf '%s\n' "$output" | grep -E '^tick [0-9]+$' | tr '\n' ' ')" = "tick 1 tick 2 tick 3 " ]
}

@test "example ticker: ticks until the monitor is signalled" {
    local out="$BATS_TEST_TMPDIR/ticker.out"
    timeout -k 10s 60s "$SKIFF_HV" "$SKIFF_EXAMPLES/ticker.hvt" >"$out" 2>&1 3>&- &
    local pid=$!
    wait_for_text "$out" "tick 3"
    kill -TERM "$pid"
    local st=0
    wait "$pid" || st=$?
    [ "$st" -eq 1 ] || { echo "status $st"; cat "$out"; false; }
    grep -q "Exiting on signal 15" "$out"
}
