#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": clang, ASan + UBSan) and runs each one for a bounded
# time on a fresh copy of its seed corpus (tests/fuzz/corpus/ stays untouched).
#   bash scripts/fuzz.sh [seconds-per-target, default 60]
# Environment: FUZZ_TARGETS="fuzz_psk_path ..." runs only those targets; FUZZ_ARGS adds libFuzzer
# options (e.g. FUZZ_ARGS="-jobs=4 -workers=2"). Fails when any target reports a crash, a leak, a
# sanitizer error, a timeout or running out of memory; the inputs are kept in
# build/fuzz/artifacts/<target>/. See tests/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: $0 [seconds-per-target, default 60]" >&2
    exit 2
fi
targets=(${FUZZ_TARGETS:-fuzz_engine_client fuzz_engine_server fuzz_psk_path fuzz_dtls_engine})
extra=(${FUZZ_ARGS:-})
start=$SECONDS

launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
echo "=== fuzz: configure and build (preset fuzz)"
cmake --preset fuzz "${launcher[@]}" >/dev/null
cmake --build --preset fuzz --parallel "$(nproc)"
build_seconds=$((SECONDS - start))

root="$PWD/build/fuzz"
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:${LSAN_OPTIONS:-}"

failed=()
summary=()
for target in "${targets[@]}"; do
    binary="$root/tests/fuzz/$target"
    seeds="tests/fuzz/corpus/$target"
    work="$root/fuzz-run/$target"
    artifacts="$root/artifacts/$target"
    log="$root/fuzz-run/$target.log"
    if [ ! -x "$binary" ] || [ ! -d "$seeds" ]; then
        echo "fuzz: $target: no binary or no seed corpus" >&2
        failed+=("$target")
        continue
    fi
    rm -rf "$work" "$artifacts"
    mkdir -p "$work" "$artifacts"
    cp "$seeds"/* "$work"/
    echo "=== fuzz: $target for $seconds s (log: $log)"
    status=0
    # From build/fuzz/fuzz-run/: with -jobs, libFuzzer writes its fuzz-<n>.log files there.
    (cd "$root/fuzz-run" && "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -error_exitcode=77 -timeout_exitcode=78 \
        -artifact_prefix="$artifacts/" "${extra[@]}" "$work") >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    coverage="$(grep -E '^#[0-9]+' "$log" | grep -o 'cov: [0-9]*' | tail -1 | cut -d' ' -f2)"
    features="$(grep -E '^#[0-9]+' "$log" | grep -o 'ft: [0-9]*' | tail -1 | cut -d' ' -f2)"
    corpus="$(find "$work" -type f | wc -l)"
    found="$(find "$artifacts" -type f | wc -l)"
    reports="$(grep -cE '^(==[0-9]+==ERROR|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer)|runtime error:|qtpsk fuzz: invariant violated' "$log" || true)"
    line="$target: ${runs:-0} runs, ${rate:-0} exec/s, coverage ${coverage:-?} edges / ${features:-?} features, corpus $(ls "$seeds" | wc -l) -> $corpus inputs, exit $status"
    summary+=("$line")
    if [ "$status" -ne 0 ] || [ "$found" -ne 0 ] || [ "$reports" -ne 0 ]; then
        failed+=("$target")
        echo "fuzz: $target FAILED (exit $status, $found artifact(s), $reports report line(s)):" >&2
        grep -E -A25 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant violated|ALARM|out-of-memory' "$log" | head -60 >&2 || true
        ls -l "$artifacts" >&2
    fi
done

echo
echo "=== fuzz summary (${seconds} s per target; build ${build_seconds} s; total $((SECONDS - start)) s)"
printf '  %s\n' "${summary[@]}"
cat <<EOF

Longer runs: bash scripts/fuzz.sh 3600 (one hour per target), or in parallel, e.g.
  FUZZ_TARGETS=fuzz_engine_server FUZZ_ARGS="-jobs=8 -workers=2" bash scripts/fuzz.sh 14400
Reproduce a finding: build/fuzz/tests/fuzz/<target> <input>; minimise it with -minimize_crash=1
(see tests/fuzz/README.md), then add it to tests/fuzz/regressions/<target>/.
EOF
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in build/fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: no crash, leak or sanitizer report"
