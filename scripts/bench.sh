#!/usr/bin/env bash
# The one benchmark command (issue 7): builds the "benchmark" preset (Release), runs every
# benchmark side by side for raw OpenSSL, QtPsk and Qt6::Network, and writes docs/performance.md.
#
# Usage: bash scripts/bench.sh [--quick] [--output FILE] [--no-build]
#   --quick     a smoke run (CI): tiny counts, one repetition, no thresholds; default output is
#               build/benchmark/performance-smoke.md instead of docs/performance.md
#   --output    where to write the report
#   --no-build  use the binaries already in build/benchmark
# Everything listens on 127.0.0.1 only, every process runs under a time limit and is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
command_line="bash scripts/bench.sh $*"

quick=0
build=1
output=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --no-build) build=0 ;;
        --output) output="$2"; shift ;;
        *) echo "usage: bash scripts/bench.sh [--quick] [--output FILE] [--no-build]" >&2; exit 2 ;;
    esac
    shift
done

bindir="$root/build/benchmark/benchmarks"
if [ -z "$output" ]; then
    if [ "$quick" = 1 ]; then output="$root/build/benchmark/performance-smoke.md"; else output="$root/docs/performance.md"; fi
fi

# Google Benchmark is the one build dependency beyond scripts/install-deps.sh.
if [ "$build" = 1 ] && command -v dpkg-query >/dev/null \
        && ! dpkg-query -W -f='${Status}' libbenchmark-dev 2>/dev/null | grep -q "install ok installed"; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "bench: installing libbenchmark-dev" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libbenchmark-dev
    else
        echo "bench: libbenchmark-dev is missing (run as root to install it): no Google Benchmark figures" >&2
    fi
fi

if [ "$build" = 1 ]; then
    cmake --preset benchmark >/dev/null
    cmake --build --preset benchmark --parallel "$(nproc)"
fi

# Sizes. Full run: about 25 minutes on 2 busy cores (callgrind counts repeat to ±0.1 %: one repetition). Quick: under 2 minutes (callgrind: suite A, no Qt6::Network).
if [ "$quick" = 1 ]; then
    reps=1; handshakes=20; bulk_mib=4; idle=50; cg_reps=1; cg_small=2; cg_large=4
    cg_mib_small=1; cg_mib_large=2; gb_reps=1; gb_time=0.02; profile_handshakes=5
    cg_suites=(A); cg_directions=(send); cg_qt=0
    scale_small=10; scale_large=100; scale_samples=100; scale_seconds=1; scale_reps=1
    strace_small=5; strace_large=25
else
    reps=3; handshakes=1000; bulk_mib=256; idle=1000; cg_reps=1; cg_small=10; cg_large=40
    cg_mib_small=2; cg_mib_large=6; gb_reps=5; gb_time=0.5; profile_handshakes=100
    cg_suites=(A B C); cg_directions=(send recv); cg_qt=1
    scale_small=100; scale_large=10000; scale_samples=2000; scale_seconds=8; scale_reps=1
    strace_small=50; strace_large=250
fi

stacks=(raw qtpsk)
declare -A program=([raw]=qtpsk_bench_raw [qtpsk]=qtpsk_bench_qtpsk [qt]=qtpsk_bench_qtnetwork)
if [ -x "$bindir/qtpsk_bench_qtnetwork" ]; then stacks+=(qt); fi
cg_stacks=(raw qtpsk) # under callgrind; Qt6::Network too in the full run
if [ -x "$bindir/qtpsk_bench_qtnetwork" ] && [ "$cg_qt" = 1 ]; then cg_stacks+=(qt); fi
suites=(A B C)

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
results="$work/results.tsv" # metric stack suite value
: >"$results"

log() { echo "bench: [${SECONDS}s] $*" >&2; }
record() { if [ -n "$4" ]; then printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; fi; }
value_of() { if [ -f "$2" ]; then sed -n "s/^$1=//p" "$2" | tail -n 1; fi; }

# Starts "<program> server [args]" in the background; sets server_pid and port.
start_program() {
    local binary="$1"; shift
    rm -f "$work/server.out" # not a stale port: the background shell truncates it later
    "$bindir/$binary" server "$@" >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    port=""
    for _ in $(seq 1 200); do # up to 10 s for the "port=" line
        port="$(value_of port "$work/server.out")"
        if [ -n "$port" ]; then return 0; fi
        if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
        sleep 0.05
    done
    log "server $binary $* did not start:"; cat "$work/server.err" >&2
    return 1
}

# Starts "<stack> server --suite S [args]" in the background.
start_server() {
    local stack="$1" suite="$2"; shift 2
    start_program "${program[$stack]}" --suite "$suite" --timeout 1800 "$@"
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# Runs a client against a fresh server of the same stack and style; the client writes client.out.
run_pair() {
    local stack="$1" suite="$2" style="$3"; shift 3
    start_server "$stack" "$suite" --style "$style"
    if ! timeout 900 "$bindir/${program[$stack]}" client --suite "$suite" --port "$port" --timeout 850 --style "$style" "$@" \
            >"$work/client.out" 2>"$work/client.err"; then
        log "client $stack $suite $* failed:"; cat "$work/client.err" >&2
        stop_server; return 1
    fi
    stop_server
    check_cipher "$stack" "$suite"
}

check_cipher() {
    local expected
    case "$2" in A) expected=PSK-AES128-GCM-SHA256 ;; B) expected=ECDHE-PSK-CHACHA20-POLY1305 ;; C) expected=TLS_AES_128_GCM_SHA256 ;; esac
    local got; got="$(value_of cipher "$work/client.out")"
    if [ "$got" != "$expected" ]; then log "$1 suite $2 negotiated '$got', not $expected"; return 1; fi
}

# --- 1. handshakes/s and bulk MB/s both ways over loopback TCP, both client styles of the Qt API
# programs, interleaved so that drift hits all stacks. Raw OpenSSL has one style: its figures are
# recorded for both ("app_" metrics), so that each style's ratio pairs runs of the same repetition.
for rep in $(seq 1 "$reps"); do
    for suite in "${suites[@]}"; do
        for stack in "${stacks[@]}"; do
            styles=(direct app)
            if [ "$stack" = raw ]; then styles=(direct); fi
            for style in "${styles[@]}"; do
                prefix=""
                if [ "$style" = app ]; then prefix=app_; fi
                log "rep $rep/$reps: $stack ($style) suite $suite: $handshakes handshakes, $bulk_mib MiB each way"
                run_pair "$stack" "$suite" "$style" --handshakes "$handshakes"
                value="$(value_of handshakes_per_s "$work/client.out")"
                record "${prefix}handshakes" "$stack" "$suite" "$value"
                if [ "$stack" = raw ]; then record app_handshakes raw "$suite" "$value"; fi
                for direction in send recv; do
                    run_pair "$stack" "$suite" "$style" --"$direction" "$bulk_mib"
                    value="$(value_of mb_per_s "$work/client.out")"
                    record "${prefix}bulk_$direction" "$stack" "$suite" "$value"
                    if [ "$stack" = raw ]; then record "app_bulk_$direction" raw "$suite" "$value"; fi
                    record stalls "$stack" "$suite" "$(value_of stalls "$work/client.out")"
                done
            done
        done
    done
done

# --- 1b. many concurrent connections on one thread: echo latency at a small and a large count,
# set-up time per connection and memory, suite B (TLS 1.2 ECDHE-PSK). One server and one client
# process per configuration; configurations "<stack>-<dispatcher>".
scale_configs=(qtpsk-epoll qtpsk-default)
declare -A scale_program=([qtpsk]=qtpsk_bench_scale_qtpsk [qt]=qtpsk_bench_scale_qtnetwork)
if [ -x "$bindir/qtpsk_bench_scale_qtnetwork" ]; then scale_configs+=(qt-default); fi
for rep in $(seq 1 "$scale_reps"); do
    for config in "${scale_configs[@]}"; do
        stack="${config%-*}" dispatcher="${config#*-}"
        log "scale rep $rep/$scale_reps: $config, $scale_small then $scale_large connections"
        start_program "${scale_program[$stack]}" --suite B --dispatcher "$dispatcher" \
            --milestones "$scale_small,$scale_large" --timeout 900
        if ! timeout 900 "$bindir/${scale_program[$stack]}" client --suite B --port "$port" --dispatcher "$dispatcher" \
                --milestones "$scale_small,$scale_large" --samples "$scale_samples" --sample-seconds "$scale_seconds" \
                --timeout 850 >"$work/client.out" 2>"$work/client.err"; then
            log "scale client $config failed:"; cat "$work/client.err" >&2; stop_server; exit 1
        fi
        stop_server
        check_cipher "$config" B
        baseline="$(value_of baseline_kib "$work/server.out")"
        for n in "$scale_small" "$scale_large"; do
            for key in p50_us p99_us setup_us_per_connection client_rss_kib samples; do
                record "scale_${key}_$n" "$config" B "$(value_of "${key}_at_$n" "$work/client.out")"
            done
            rss="$(value_of "server_rss_kib_at_$n" "$work/server.out")"
            if [ -n "$rss" ] && [ -n "$baseline" ]; then
                record "scale_server_kib_per_connection_$n" "$config" B "$(awk -v r="$rss" -v b="$baseline" -v n="$n" 'BEGIN { printf "%.2f", (r - b) / n }')"
            fi
        done
        record scale_nofile "$config" B "$(value_of nofile "$work/client.out")"
    done
done

# --- 2. memory: peak RSS of a server holding N idle encrypted connections ---
for rep in $(seq 1 "$reps"); do
    for suite in "${suites[@]}"; do
        for stack in "${stacks[@]}"; do
            log "rep $rep/$reps: $stack suite $suite: $idle idle connections"
            start_server "$stack" "$suite" --idle "$idle"
            timeout 300 "$bindir/${program[$stack]}" client --suite "$suite" --port "$port" --idle "$idle" \
                --timeout 280 >"$work/client.out" 2>"$work/client.err" || { log "idle client failed"; cat "$work/client.err" >&2; exit 1; }
            wait "$server_pid" || true
            server_pid=""
            record memory "$stack" "$suite" "$(value_of per_connection_kib "$work/server.out")"
            record memory_baseline "$stack" "$suite" "$(value_of baseline_kib "$work/server.out")"
        done
    done
done

# --- 3. instructions under callgrind: the client process only, difference of two runs ---
callgrind_total() { # <out file>: total instructions of every thread
    awk '/^(summary|totals):/ { print $2; exit }' "$1"
}
callgrind_client() { # stack suite outfile args...
    local stack="$1" suite="$2" out="$3"; shift 3
    start_server "$stack" "$suite"
    timeout 900 valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$bindir/${program[$stack]}" client --suite "$suite" --port "$port" --timeout 850 "$@" \
        >"$work/client.out" 2>"$work/valgrind.err" || { log "callgrind client failed"; tail "$work/valgrind.err" >&2; stop_server; return 1; }
    stop_server
}
if command -v valgrind >/dev/null; then
    for rep in $(seq 1 "$cg_reps"); do
        for suite in "${cg_suites[@]}"; do
            for stack in "${cg_stacks[@]}"; do
                log "callgrind rep $rep/$cg_reps: $stack suite $suite"
                callgrind_client "$stack" "$suite" "$work/cg.small" --handshakes "$cg_small"
                callgrind_client "$stack" "$suite" "$work/cg.large" --handshakes "$cg_large"
                record instr_handshake "$stack" "$suite" \
                    "$(( ($(callgrind_total "$work/cg.large") - $(callgrind_total "$work/cg.small")) / (cg_large - cg_small) ))"
                for direction in "${cg_directions[@]}"; do
                    callgrind_client "$stack" "$suite" "$work/cg.small" --"$direction" "$cg_mib_small"
                    callgrind_client "$stack" "$suite" "$work/cg.large" --"$direction" "$cg_mib_large"
                    record "instr_mib_$direction" "$stack" "$suite" \
                        "$(( ($(callgrind_total "$work/cg.large") - $(callgrind_total "$work/cg.small")) / (cg_mib_large - cg_mib_small) ))"
                done
            done
        done
    done
    # The profile behind the handshake figure: QtPsk's client, suite A.
    log "callgrind profile: qtpsk client, suite A, $profile_handshakes handshakes"
    callgrind_client qtpsk A "$work/cg.profile" --handshakes "$profile_handshakes"
    # The function tables only (no header), the top entries, long C++ names shortened.
    annotate_top() { # <how many> [callgrind_annotate options]
        local count="$1"; shift
        callgrind_annotate "$@" "$work/cg.profile" 2>/dev/null | awk '/^Ir +file:function/ { on = 1; next } on && /^ *[0-9,]+ / { print }' \
            | sed -E 's/QtPrivate::QFunctorSlotObject<([^,]*),.*$/QFunctorSlotObject<\1>/; s/ \[[^]]*\/([^/]+)\]$/ [\1]/' | cut -c1-160 | head -n "$count"
    }
    annotate_top 40 --inclusive=yes >"$work/profile_inclusive.txt" || true
    annotate_top 25 >"$work/profile_self.txt" || true
    # And behind the bulk figure: QtPsk's client sending, suite A (start-up and handshake included).
    log "callgrind profile: qtpsk client, suite A, sending $cg_mib_large MiB"
    callgrind_client qtpsk A "$work/cg.profile" --send "$cg_mib_large"
    annotate_top 45 --inclusive=yes | grep -v -E '\?\?\?:0x|ld-linux|libc-start|below main|QEventLoop|QEventDispatcher|g_main_context|QCoreApplication|notify' \
        | head -n 25 >"$work/profile_send.txt" || true
else
    log "valgrind not found: no instruction counts"
fi

# --- 3b. system calls per client connection (strace -c, client only, suite A, direct style): the
# difference of a run of strace_small and one of strace_large handshakes, so start-up cancels out.
strace_counts() { # stack handshakes -> "syscall calls" lines
    start_server "$1" A --style direct
    strace -f -c -o "$work/strace.out" timeout 300 "$bindir/${program[$1]}" client --suite A --port "$port" \
        --handshakes "$2" --timeout 280 >/dev/null 2>"$work/strace.err" || log "strace client $1 failed"
    stop_server
    awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF, $4 }' "$work/strace.out"
}
: >"$work/syscalls.txt"
if command -v strace >/dev/null; then
    for stack in raw qtpsk; do
        log "strace: $stack client, $strace_small and $strace_large handshakes"
        strace_counts "$stack" "$strace_small" >"$work/strace.small"
        strace_counts "$stack" "$strace_large" >"$work/strace.large"
        awk -v stack="$stack" -v n="$((strace_large - strace_small))" 'FNR == NR { small[$1] = $2; next }
            { printf "%s\t%s\t%.2f\n", stack, $1, ($2 - small[$1]) / n }' "$work/strace.small" "$work/strace.large" >>"$work/syscalls.txt"
    done
fi

# --- 4. Google Benchmark: in-memory engine vs raw BIO pair; the authenticator value class ---
gbench_csv() { # program -> CSV of the individual repetitions
    "$bindir/$1" --benchmark_repetitions="$gb_reps" --benchmark_min_time="$gb_time" \
        --benchmark_enable_random_interleaving=true \
        --benchmark_format=csv 2>/dev/null | grep -v -E '_(mean|median|stddev|cv)"?,' || true
}
if [ -x "$bindir/qtpsk_bench_engine" ]; then
    log "engine benchmark (in memory)"
    gbench_csv qtpsk_bench_engine >"$work/engine.csv"
    # name,iterations,real_time,cpu_time,time_unit,bytes_per_second,items_per_second,...
    awk -F, '/^"BM_/ { gsub(/"/, "", $1); split($1, p, "/"); stack = p[1] ~ /Raw/ ? "raw" : "qtpsk";
        suite = substr("ABC", p[2] + 1, 1); printf "engine\t%s\t%s\t%s\n", stack, suite, $7 }' \
        "$work/engine.csv" >>"$results"
fi
for stack in qtpsk qt; do
    name=qtpsk_bench_authenticator_qtpsk
    if [ "$stack" = qt ]; then name=qtpsk_bench_authenticator_qtnetwork; fi
    if [ -x "$bindir/$name" ]; then
        log "authenticator benchmark ($stack)"
        gbench_csv "$name" >"$work/auth.csv"
        awk -F, -v stack="$stack" '/^"BM_/ { gsub(/"/, "", $1); sub(/^BM_Authenticator/, "", $1);
            printf "auth_ns\t%s\t%s\t%s\n", stack, $1, $3 }' "$work/auth.csv" >>"$results"
    fi
done

# --- 5. the report ---
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
flags="$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'aes|sha_ni|avx2' | tr '\n' ' ' || true)"
openssl_version="$(openssl version 2>/dev/null || echo unknown)"
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain -- src include 2>/dev/null)" ]; then revision="$revision + uncommitted changes in src/ or include/"; fi
qt_version="$(dpkg-query -W -f='${Version}' libqt6core6 2>/dev/null || echo unknown)"
mkdir -p "$(dirname "$output")"
awk -F'\t' -v reps="$reps" -v handshakes="$handshakes" -v bulk="$bulk_mib" -v idle="$idle" \
    -v cg_small="$cg_small" -v cg_large="$cg_large" -v mib_small="$cg_mib_small" -v mib_large="$cg_mib_large" \
    -v cg_reps="$cg_reps" -v gb_reps="$gb_reps" -v nproc="$(nproc)" -v cpu="$cpu" -v flags="$flags" \
    -v ossl="$openssl_version" -v qt="$qt_version" -v revision="$revision" -v cmd="$command_line" -v quick="$quick" \
    -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v syscalls="$work/syscalls.txt" -v strace_n="$((strace_large - strace_small))" \
    -v scale_small="$scale_small" -v scale_large="$scale_large" -v scale_reps="$scale_reps" \
    -v profile_n="$profile_handshakes" -v profile_incl="$work/profile_inclusive.txt" -v profile_self="$work/profile_self.txt" -v profile_send="$work/profile_send.txt" '
function sortn(a, n,    i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function median(key,    n, i, a, parts) { n = split(vals[key], parts, " "); for (i = 1; i <= n; i++) a[i] = parts[i] + 0; sortn(a, n);
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function lo(key,    n, i, m, parts) { n = split(vals[key], parts, " "); m = parts[1] + 0; for (i = 2; i <= n; i++) if (parts[i] + 0 < m) m = parts[i] + 0; return m }
function hi(key,    n, i, m, parts) { n = split(vals[key], parts, " "); m = parts[1] + 0; for (i = 2; i <= n; i++) if (parts[i] + 0 > m) m = parts[i] + 0; return m }
function fmt(v, scale, digits) { return sprintf("%." digits "f", v / scale) }
function cell(key, scale, digits) { if (!(key in vals)) return "n/a";
    return fmt(lo(key), scale, digits) " – **" fmt(median(key), scale, digits) "** – " fmt(hi(key), scale, digits) }
# The ratio of two series: the median of the per-repetition ratios when both have one value per
# repetition (the runs were interleaved, so each pair saw the same machine load), else of medians.
function pratio(a, b,    n, m, i, x, y, r) { n = split(vals[a], x, " "); m = split(vals[b], y, " ")
    if (n != m || n < 2) return median(b) == 0 ? 0 : median(a) / median(b)
    for (i = 1; i <= n; i++) r[i] = (y[i] + 0 == 0) ? 0 : x[i] / y[i]; sortn(r, n)
    return n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2 }
function mratio(a, b) { if (!(a in vals) || !(b in vals) || median(b) == 0) return "n/a"; return sprintf("%.2f", median(a) / median(b)) }
function ratio(a, b) { if (!(a in vals) || !(b in vals) || median(b) == 0) return "n/a"; return sprintf("%.2f", pratio(a, b)) }
function verdict(a, b, target, higher,    r) { if (!(a in vals) || !(b in vals)) return "n/a"; r = pratio(a, b);
    if (higher) return r >= target ? "met" : "**missed**"; return r <= target ? "met" : "**missed**" }
# Remembers the outcome of one target for the summary.
function note(what, target, higher, r, v) { if (v == "n/a") return
    summary[++nsummary] = "| " what " | " (higher ? "≥ " : "≤ ") target " | " r " | " v " |" }
# A table of one metric per suite; the target compares QtPsk with the stack ref (raw by default).
function table(metric, title, unit, scale, digits, target, higher, ref, suites,    s, v, r, refname) {
    if (ref == "") ref = "raw"; if (suites == "") suites = "ABC"; refname = ref == "qt" ? "Qt" : "raw"
    print "### " title; print ""
    print "| suite | raw OpenSSL | QtPsk | Qt6::Network | QtPsk / raw | QtPsk / Qt | target (QtPsk / " refname ") |"
    print "|---|---|---|---|---|---|---|"
    for (s = 1; s <= 3; s++) { su = substr("ABC", s, 1)
        if (!((metric SUBSEP "qtpsk" SUBSEP su) in vals) && !((metric SUBSEP "raw" SUBSEP su) in vals)) continue
        v = verdict(metric SUBSEP "qtpsk" SUBSEP su, metric SUBSEP ref SUBSEP su, target, higher)
        r = ratio(metric SUBSEP "qtpsk" SUBSEP su, metric SUBSEP ref SUBSEP su)
        if (target != "" && index(suites, su)) note(title ", suite " su " (QtPsk / " refname ")", target, higher, r, v)
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", su, cell(metric SUBSEP "raw" SUBSEP su, scale, digits),
            cell(metric SUBSEP "qtpsk" SUBSEP su, scale, digits), cell(metric SUBSEP "qt" SUBSEP su, scale, digits),
            ratio(metric SUBSEP "qtpsk" SUBSEP su, metric SUBSEP "raw" SUBSEP su),
            ratio(metric SUBSEP "qtpsk" SUBSEP su, metric SUBSEP "qt" SUBSEP su),
            target == "" || !index(suites, su) ? "—" : (higher ? "≥ " : "≤ ") target " — " v }
    print ""; print "Unit: " unit ". Cells: min – **median** – max over the repetitions; a ratio is the median of the per-repetition ratios (each repetition ran every stack back to back)."; print "" }
# The many-connections table: one row per configuration, the small and the large count side by side.
function scaletable(    c, i, cfg, m, key, small, large, r, v, label) {
    key = "scale_nofile" SUBSEP "qtpsk-epoll" SUBSEP "B"; nofile = (key in vals) ? median(key) : "n/a"
    print "### " scale_large " concurrent TLS connections on one thread (suite B, echo of 64 bytes)"; print ""
    print "| configuration | figure | at " scale_small " | at " scale_large " | " scale_large " / " scale_small " | target |"
    print "|---|---|---|---|---|---|"
    split("qtpsk-epoll qtpsk-default qt-default", cfgs, " ")
    split("p50_us p99_us setup_us_per_connection server_kib_per_connection client_rss_kib samples", keys, " ")
    split("echo p50 (µs)|echo p99 (µs)|set-up per connection (µs)|server memory per connection (KiB)|client RSS (KiB)|echo samples", labels, "|")
    for (c = 1; c <= 3; c++) { cfg = cfgs[c]
        key = "scale_p50_us_" scale_large SUBSEP cfg SUBSEP "B"; if (!(key in vals)) continue
        label = cfg == "qtpsk-epoll" ? "QtPsk, QEpollEventDispatcher" : (cfg == "qtpsk-default" ? "QtPsk, Qt default dispatcher" : "Qt6::Network, Qt default dispatcher")
        for (i = 1; i <= 6; i++) { key = "scale_" keys[i] "_"
            small = key scale_small SUBSEP cfg SUBSEP "B"; large = key scale_large SUBSEP cfg SUBSEP "B"
            r = ((small in vals) && (large in vals) && median(small) > 0) ? sprintf("%.2f", median(large) / median(small)) : "n/a"
            v = "—"
            if (i <= 4 && cfg ~ /^qtpsk/ && r != "n/a") { v = "≤ 2 — " (r + 0 <= 2 ? "met" : "**missed**")
                note(label ": " labels[i] ", " scale_large " / " scale_small, 2, 0, r, r + 0 <= 2 ? "met" : "**missed**") }
            printf "| %s | %s | %s | %s | %s | %s |\n", label, labels[i], cell(small, 1, i == 6 ? 0 : 1), cell(large, 1, i == 6 ? 0 : 1), r, v }
    }
    print ""
    print "Each configuration is one echo server process and one client process, each a single thread with a Qt event loop (both on the same dispatcher), over 127.0.0.1. The client opens connections (up to 16 handshakes in flight) until it holds " scale_small ", measures, then opens more until it holds " scale_large " and measures again; one echo at a time, each sample on another connection (64 bytes out, the client waits until all 64 are back). Set-up per connection: wall time of the set-up phase / the connections it opened. Server memory per connection: (VmRSS with N connections − VmRSS after listen) / N. RLIMIT_NOFILE of each process: " nofile ". " scale_reps " repetition(s); cells min – **median** – max." ; print "" }
{ key = $1 SUBSEP $2 SUBSEP $3; vals[key] = (key in vals) ? vals[key] " " $4 : $4; if ($1 == "auth_ns") authnames[$3] = 1 }
END {
    print "# QtPsk performance, side by side with raw OpenSSL and Qt6::Network"; print ""
    print "Generated by `" cmd "` on " date (quick ? " (**smoke run: tiny counts, not a measurement**)" : "") ". Do not edit by hand."; print ""
    print "## Machine"; print ""
    print "- " nproc " CPUs (nproc), " cpu (flags != "" ? " (flags: " flags ")" : "")
    print "- " ossl "; Qt " qt " (Qt6::Network uses its OpenSSL backend); QtPsk at " revision ", Release build"
    print "- load average when the report was written: " load " (other jobs share the machine: compare ratios, which are taken inside this run, not absolute rates)"
    print ""
    print "## How it is measured"; print ""
    print "- **Programs.** `qtpsk_bench_raw` is a plain libssl program with OpenSSL defaults (one SSL_CTX per side for the whole run, server session cache on, two TLS 1.3 tickets, legacy PSK callbacks, blocking sockets). `qtpsk_bench_qtpsk` and `qtpsk_bench_qtnetwork` are one source file (`benchmarks/qtapi/bench_qtapi.cpp`, the public QSslSocket/QSslServer API, Qt event loop, one thread) built against QtPsk and against Qt6::Network; no executable links both."
    print "- **Topology.** Client and server are two processes of the same stack on this machine (one thread each), talking over 127.0.0.1 TCP. Each client run gets a fresh server."
    print "- **Suites.** A = TLS 1.2 PSK-AES128-GCM-SHA256, B = TLS 1.2 ECDHE-PSK-CHACHA20-POLY1305, C = TLS 1.3 TLS_AES_128_GCM_SHA256 with an external PSK (QtPsk and Qt: `QT_USE_TLS_1_3_PSK=1`, TLS 1.3 only; raw: legacy PSK callbacks). Each run checks the negotiated suite."
    print "- **Handshakes/s:** " handshakes " sequential connections per repetition: TCP connect, full handshake, client close_notify, close (a new QSslSocket per connection; the server answers close_notify). Client wall time."
    print "- **Bulk:** " bulk " MiB each way after the handshake, in 64 KiB writes: client → server (`--send`, the time until the server acknowledges the last byte) and server → client (`--recv`, the time until the client has the last byte). 1 MB = 10^6 bytes."
    print "- **Client styles** of the Qt API programs (`--style`, the server uses the same style): *direct* reads into a stack buffer with `read(char *, qint64)` and paces writes on `bytesToWrite()` alone (at most 256 KiB pending); *app* is written the way ordinary Qt code is: a parentless `QSslSocket` per connection (one `QSslConfiguration` made at start for all), `disconnectFromHost()` on `encrypted()` and `deleteLater()` on `disconnected()`, `readAll()` on `readyRead()`, 64 KiB `QByteArray` writes while `bytesToWrite() + encryptedBytesToWrite()` < 256 KiB, refilled on `bytesWritten()` and `encryptedBytesWritten()`. Raw OpenSSL has one style; its runs are the reference of both."
    print "- **Instructions** (`valgrind --tool=callgrind`, client process only, all its threads): the client runs " cg_small " and " cg_large " handshakes against an uninstrumented server of its own stack; (I(" cg_large ") − I(" cg_small ")) / " cg_large - cg_small " is the cost of one client connection (connect, handshake, close_notify, close, socket set-up and tear-down), start-up cancels out. Per MiB: the same with " mib_small " and " mib_large " MiB sent (`send`) or received (`recv`) by the client. " cg_reps " repetitions. Under valgrind QtPsk runs its handshakes without OpenSSL async jobs (valgrind cannot follow their stacks); outside it every handshake runs as one, about 1 % of a handshake in memory."
    print "- **Memory:** a server process accepts " idle " encrypted connections and keeps them idle; (VmHWM − VmRSS after listen) / " idle " is the cost of one idle server connection."
    print "- **In memory** (Google Benchmark, `qtpsk_bench_engine`): a client and a server QtPsk TlsEngine pumped into each other, against two raw SSL objects over a BIO pair; one SSL_CTX per side held for the whole run; handshakes per CPU second. " gb_reps " repetitions, randomly interleaved."
    print "- Repetitions: " reps " for handshakes, bulk and memory, interleaved (every stack and suite once per repetition)."
    print ""
    print "## Results"; print ""
    table("handshakes", "Handshakes per second over loopback TCP (direct style)", "handshakes/s", 1, 0, "1.0", 1)
    table("app_handshakes", "Handshakes per second over loopback TCP (app style)", "handshakes/s", 1, 0, "1.0", 1)
    table("bulk_send", "Bulk client → server, " bulk " MiB (direct style)", "MB/s", 1, 0, "1.0", 1, "raw", "AC")
    table("bulk_recv", "Bulk server → client, " bulk " MiB (direct style)", "MB/s", 1, 0, "1.0", 1, "raw", "AC")
    table("app_bulk_send", "Bulk client → server, " bulk " MiB (app style)", "MB/s", 1, 0, "1.0", 1, "raw", "AC")
    table("app_bulk_recv", "Bulk server → client, " bulk " MiB (app style)", "MB/s", 1, 0, "1.0", 1, "raw", "AC")
    scaletable()
    table("instr_handshake", "Instructions per client connection (callgrind)", "million instructions", 1e6, 3, "1.0", 0)
    table("instr_mib_send", "Instructions per MiB sent by the client (callgrind)", "million instructions", 1e6, 3, "1.15", 0)
    table("instr_mib_recv", "Instructions per MiB received by the client (callgrind)", "million instructions", 1e6, 3, "1.15", 0)
    table("memory", "Memory per idle encrypted server connection (" idle " connections)", "KiB per connection", 1, 1, "0.9", 0)
    for (s = 1; s <= 3; s++) { su = substr("ABC", s, 1); split(vals["stalls" SUBSEP "qtpsk" SUBSEP su], p1, " "); split(vals["stalls" SUBSEP "qt" SUBSEP su], p2, " ")
        for (i in p1) stall_qtpsk += p1[i]; for (i in p2) stall_qt += p2[i] }
    print "Bulk watchdog (a 50 ms timer that resumes a transfer after a missed bytesWritten/readyRead): " stall_qtpsk + 0 " stalls with QtPsk, " stall_qt + 0 " with Qt6::Network over all bulk runs."; print ""
    table("memory_baseline", "Server baseline RSS after listen", "KiB", 1, 0, "0.8", 0, "qt")
    print "### In-memory handshakes per second (no sockets)"; print ""
    print "| suite | raw OpenSSL, BIO pair | QtPsk TlsEngine | QtPsk / raw |"; print "|---|---|---|---|"
    for (s = 1; s <= 3; s++) { su = substr("ABC", s, 1)
        printf "| %s | %s | %s | %s |\n", su, cell("engine" SUBSEP "raw" SUBSEP su, 1, 0), cell("engine" SUBSEP "qtpsk" SUBSEP su, 1, 0),
            mratio("engine" SUBSEP "qtpsk" SUBSEP su, "engine" SUBSEP "raw" SUBSEP su) }
    print ""
    print "### QSslPreSharedKeyAuthenticator: copying and comparing"; print ""
    print "| operation | QtPsk (ns) | Qt6::Network (ns) | QtPsk / Qt |"; print "|---|---|---|---|"
    split("Copy CopyAndDetach Move CompareShared CompareEqual CompareDifferent", ops, " ")
    for (i = 1; i <= 6; i++) if (ops[i] in authnames)
        printf "| %s | %s | %s | %s |\n", ops[i], cell("auth_ns" SUBSEP "qtpsk" SUBSEP ops[i], 1, 2), cell("auth_ns" SUBSEP "qt" SUBSEP ops[i], 1, 2),
            mratio("auth_ns" SUBSEP "qtpsk" SUBSEP ops[i], "auth_ns" SUBSEP "qt" SUBSEP ops[i])
    print ""
    print "### System calls per client connection (strace -c, suite A, direct style)"; print ""
    while ((getline line < syscalls) > 0) { split(line, f, "\t"); calls[f[1], f[2]] = f[3]; names[f[2]] = 1; total[f[1]] += f[3] }
    print "| system call | raw OpenSSL | QtPsk |"; print "|---|---|---|"
    for (name in names) if (calls["raw", name] + 0 >= 0.5 || calls["qtpsk", name] + 0 >= 0.5)
        printf "| %s | %.1f | %.1f |\n", name, calls["raw", name], calls["qtpsk", name]
    printf "| **all** | %.1f | %.1f |\n", total["raw"], total["qtpsk"]
    print ""; print "Per connection: (calls in a run of more handshakes − calls in a run of fewer) / " strace_n ", the client process only (calls under 0.5 per connection in both left out). Under the default (GLib) dispatcher of Qt, enabling or disabling a socket notifier writes the wake-up eventfd of GLib (`write`), and each pass of the loop is a `poll`."; print ""
    print "## Targets: met and missed"; print ""
    print "| target | bound | measured | outcome |"; print "|---|---|---|---|"
    for (i = 1; i <= nsummary; i++) { print summary[i]; if (summary[i] ~ /missed/) missed++ }
    print ""; print nsummary - missed " of " nsummary " targets met in this run."; print ""
    print "## Profile: QtPsk client, suite A, " profile_n " connections (callgrind_annotate)"; print ""
    print "Inclusive (a function and everything it calls):"; print ""; print "```"
    while ((getline line < profile_incl) > 0) print line
    print "```"; print ""; print "Self (exclusive):"; print ""; print "```"
    while ((getline line < profile_self) > 0) print line
    print "```"; print ""
    print "## Profile: QtPsk client sending " mib_large " MiB, suite A (inclusive, event-loop frames left out)"; print ""; print "```"
    while ((getline line < profile_send) > 0) print line
    print "```"
}' "$results" >"$output"
log "wrote $output"

# --- 6. deferred PSK answers: a section of its own, appended to the report ---
deferred_handshakes=$([ "$quick" = 1 ] && echo 50 || echo 1000)
{
    echo ""
    echo "## Handshakes/s with a 5 ms PSK lookup: answered in the slot or later (QtPsk extension)"
    echo ""
    echo "\`qtpsk_bench_deferred\` (\`benchmarks/deferred/bench_deferred.cpp\`): one QSslServer thread, TLS 1.2 PSK-AES128-GCM-SHA256, $deferred_handshakes handshakes with 64 in flight from client sockets in the main thread. Every server PSK lookup takes 5 ms: *slot* blocks in the slot (Qt's only option), *timer* defers the answer (QSslPreSharedKeyAuthenticator::deferAnswer()) and answers from a timer, *workers* defers it and answers from 8 worker threads that each block 5 ms."
    echo ""
    echo "| answered | handshakes/s | wall time |"
    echo "|---|---|---|"
    for mode in slot timer workers; do
        timeout 600 "$bindir/qtpsk_bench_deferred" --mode "$mode" --lookup-ms 5 \
            --handshakes "$deferred_handshakes" --in-flight 64 --workers 8 \
            | awk -F' [|] ' '{ print "| " $1 " | " $5 " | " $4 " |" }'
    done
} >>"$output"
log "appended the deferred-answer figures to $output"

# --- 7. DTLS 1.2 PSK in memory (qtpsk_bench_dtls): appended to the report as a section of its own ---
if [ -x "$bindir/qtpsk_bench_dtls" ]; then
    log "DTLS benchmark (in memory)"
    gbench_csv qtpsk_bench_dtls >"$work/dtls.csv"
    # name,iterations,real_time,cpu_time,...: per benchmark and suite, the median CPU time of the
    # repetitions; then QtPsk's rate over raw OpenSSL's (the inverse ratio of the times).
    awk -F, '/^"BM_/ { gsub(/"/, "", $1); split($1, p, "/"); t[p[1] SUBSEP p[2]] = t[p[1] SUBSEP p[2]] " " $4 }
        function median(list,   n, v, i, j, x) { n = split(list, v, " ");
            for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > x + 0; j--) v[j + 1] = v[j]; v[j + 1] = x }
            return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
        END {
            split("PSK-AES128-CCM8 PSK-AES128-GCM-SHA256 ECDHE-PSK-CHACHA20-POLY1305", suite, " ")
            print ""; print "### DTLS 1.2 PSK in memory (qtpsk_bench_dtls)"; print ""
            print "Two QtPsk DtlsEngines (datagram BIOs) against two raw OpenSSL DTLS SSL objects over memory BIOs; per CPU second."; print ""
            print "| suite | raw handshakes/s | QtPsk handshakes/s | QtPsk / raw | raw round trips/s | QtPsk round trips/s | QtPsk / raw |"
            print "|---|---|---|---|---|---|---|"
            for (s = 1; s <= 3; s++) { k = s - 1
                rh = median(t["BM_RawHandshake" SUBSEP k]); qh = median(t["BM_EngineHandshake" SUBSEP k])
                rr = median(t["BM_RawRoundTrip" SUBSEP k]); qr = median(t["BM_EngineRoundTrip" SUBSEP k])
                printf "| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |\n", suite[s], 1e9 / rh, 1e9 / qh, rh / qh, 1e9 / rr, 1e9 / qr, rr / qr }
        }' "$work/dtls.csv" >>"$output"
    log "appended the DTLS section to $output"
fi

# --- 7b. DTLS 1.2 PSK over loopback UDP (qtpsk_bench_dtls_loopback): QDtls over QUdpSocket on the
# Qt event loop against raw OpenSSL DTLS on poll(), and Qt's own QDtls built from the same source
# where Qt6::Network is installed; medians of per-repetition ratios ---
if [ -x "$bindir/qtpsk_bench_dtls_loopback" ]; then
    log "DTLS benchmark (loopback UDP)"
    if [ "$quick" = 1 ]; then dtls_reps=1; dtls_handshakes=50; dtls_trips=500; else dtls_reps=5; dtls_handshakes=2000; dtls_trips=20000; fi
    : >"$work/dtls-loopback.txt"
    for rep in $(seq 1 "$dtls_reps"); do
        for suite in PSK-AES128-CCM8 PSK-AES128-GCM-SHA256 ECDHE-PSK-CHACHA20-POLY1305; do
            for mode in raw qtpsk; do
                timeout 300 "$bindir/qtpsk_bench_dtls_loopback" --mode "$mode" --suite "$suite" \
                    --handshakes "$dtls_handshakes" --round-trips "$dtls_trips" \
                    | sed "s/^/$rep | /" >>"$work/dtls-loopback.txt" || log "DTLS loopback: $mode $suite failed"
            done
            if [ -x "$bindir/qtpsk_bench_dtls_loopback_qtnetwork" ]; then
                timeout 300 "$bindir/qtpsk_bench_dtls_loopback_qtnetwork" --mode qtpsk --suite "$suite" \
                    --handshakes "$dtls_handshakes" --round-trips "$dtls_trips" 2>/dev/null \
                    | sed "s/^/$rep | /" >>"$work/dtls-loopback.txt" || true
            fi
        done
    done
    awk -F' [|] ' -v reps="$dtls_reps" -v n="$dtls_handshakes" -v trips="$dtls_trips" '
        { h[$2 SUBSEP $3 SUBSEP $1] = $4; r[$2 SUBSEP $3 SUBSEP $1] = $5 }
        function median(list,   k, v, i, j, x) { k = split(list, v, " "); if (k == 0) return -1
            for (i = 2; i <= k; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > x + 0; j--) v[j + 1] = v[j]; v[j + 1] = x }
            return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }
        function figure(x) { return x < 0 ? "-" : sprintf("%.2f", x) }
        END {
            split("PSK-AES128-CCM8 PSK-AES128-GCM-SHA256 ECDHE-PSK-CHACHA20-POLY1305", suite, " ")
            print ""; print "### DTLS 1.2 PSK over loopback UDP (qtpsk_bench_dtls_loopback)"; print ""
            print "Client and server in one thread, " n " handshakes (a new QDtls pair, or new SSL objects, each) then " trips " round trips of a 100-byte datagram, " reps " repetition(s). *raw*: two SSL objects over BIO_s_datagram on connected UDP sockets, driven by poll(); *QtPsk*: two QDtls over two QUdpSockets on the Qt event loop (no cookie exchange, as raw); *Qt*: the same source built against Qt6::Network (its QDtls cannot choose CCM8: no figure). Rates are medians; ratios are medians of the per-repetition ratios."; print ""
            print "| suite | raw handshakes/s | QtPsk handshakes/s | QtPsk / raw | QtPsk / Qt | raw round trips/s | QtPsk round trips/s | QtPsk / raw | QtPsk / Qt |"
            print "|---|---|---|---|---|---|---|---|---|"
            for (s = 1; s <= 3; s++) {
                rh = qh = rr = qr = hr = rq = hq = qq = ""
                for (p = 1; p <= reps; p++) {
                    a = h["raw" SUBSEP suite[s] SUBSEP p]; b = h["qtpsk" SUBSEP suite[s] SUBSEP p]; c = h["qt" SUBSEP suite[s] SUBSEP p]
                    x = r["raw" SUBSEP suite[s] SUBSEP p]; y = r["qtpsk" SUBSEP suite[s] SUBSEP p]; z = r["qt" SUBSEP suite[s] SUBSEP p]
                    if (a > 0) rh = rh " " a; if (b > 0) qh = qh " " b; if (x > 0) rr = rr " " x; if (y > 0) qr = qr " " y
                    if (a > 0 && b > 0) hr = hr " " b / a; if (x > 0 && y > 0) rq = rq " " y / x
                    if (b > 0 && c > 0) hq = hq " " b / c; if (y > 0 && z > 0) qq = qq " " y / z
                }
                printf "| %s | %.0f | %.0f | %s | %s | %.0f | %.0f | %s | %s |\n", suite[s], median(rh), median(qh), figure(median(hr)), figure(median(hq)), median(rr), median(qr), figure(median(rq)), figure(median(qq))
            }
        }' "$work/dtls-loopback.txt" >>"$output"
    log "appended the DTLS loopback section to $output"
fi
