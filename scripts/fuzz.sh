#!/usr/bin/env bash
# make fuzz: every fuzz target of IOCFuzzTargets under libFuzzer (with AddressSanitizer) for its
# share of FUZZ_SECONDS (600 by default, split evenly), starting from the inputs kept under
# Tests/Fuzz/<target>/ and the binary seeds IOC's encoders make. The growing corpus lives in
# .build-fuzz/corpus/, crashers in .build-fuzz/crashes/: copy a crasher into Tests/Fuzz/<target>/
# (named crash-...) once it is fixed, and `make test` replays it from then on.
# Prints a table of runs, executions per second, corpus size and crashes; exits 1 on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
scratch=.build-fuzz
# The linker is lld: gold fails on the sanitizer's objects.
$SWIFT build --scratch-path "$scratch" -c release --product ioc-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DIOC_LIBFUZZER -Xswiftc -use-ld=lld
bin="$($SWIFT build --scratch-path "$scratch" -c release --show-bin-path)/ioc-fuzz"

read -r -a targets <<<"$("$bin" 2>&1 | sed -n 's/^targets: //p')"
per=$((FUZZ_SECONDS / ${#targets[@]}))
[ "$per" -ge 1 ] || per=1
"$bin" seeds "$scratch/seeds"
mkdir -p "$scratch/crashes" "$scratch/logs"
# Swift's runtime keeps metadata for the life of the process: not leaks worth a crash report.
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1

printf '%-14s %8s %12s %8s %8s %8s\n' target seconds runs exec/s corpus crashes
crashed=0
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    mkdir -p "$corpus" "Tests/Fuzz/$target" "$scratch/seeds/$target"
    before=$(find "$scratch/crashes" -name "$target-*" | wc -l)
    status=0
    "$bin" "$target" "$corpus" "Tests/Fuzz/$target" "$scratch/seeds/$target" \
        -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$scratch/crashes/$target-" -print_final_stats=1 \
        >"$scratch/logs/$target.log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/logs/$target.log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/logs/$target.log" | tail -1)
    found=$(($(find "$scratch/crashes" -name "$target-*" | wc -l) - before))
    if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi
    printf '%-14s %8s %12s %8s %8s %8s\n' "$target" "$per" "${runs:-?}" "${speed:-?}" \
        "$(find "$corpus" -type f | wc -l)" "$found"
    if [ "$found" -ne 0 ]; then
        crashed=1
        echo "  $target: see $scratch/logs/$target.log and $scratch/crashes/" >&2
    fi
done
exit "$crashed"
