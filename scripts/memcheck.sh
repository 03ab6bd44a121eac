#!/usr/bin/env bash
# The socket tests under Valgrind memcheck.
#
#   bash scripts/memcheck.sh [label ...]     (default: the socket labels, see `labels` below)
#
# Runs every test executable of the chosen labels once, whole, under valgrind, two at a time. A memory
# error or a definite leak makes valgrind exit with 99 and the run fails; each executable's output is in
# build/<dir>/memcheck/<name>.log. It uses the build the README test command made (build/default,
# RelWithDebInfo, no sanitizers); set QTPSK_MEMCHECK_BUILD to use another, which is configured and built
# if missing. Suppressions: tests/sanitizers/valgrind.supp (only Qt's, glib's and libc's own
# process-lifetime allocations, never a QtPsk frame).
# One valgrind process per executable, not CTest's memcheck mode (`ctest -T memcheck`): CTest runs
# each of its tests, here a single GoogleTest case, in a valgrind of its own, and valgrind's start-up
# with Qt and OpenSSL (about 5 s on two cores) would then come once per case instead of once per
# executable (tlsengine_test: 48 cases, 23 s whole, over 4 minutes case by case).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then labels=("$@"); else labels=(network ssl tls13 reentrancy faults hygiene dtls); fi
build="${QTPSK_MEMCHECK_BUILD:-build/default}"
jobs="$(nproc)"
command -v valgrind >/dev/null || { echo "memcheck: valgrind is not installed (scripts/install-deps.sh)" >&2; exit 1; }

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --parallel "$jobs" >/dev/null

# Test cases that cannot run under valgrind, and why:
# - QTcpServer.OutOfDescriptorsEmitsAcceptErrorAndRecovers lowers RLIMIT_NOFILE to exhaust descriptors;
#   valgrind reserves descriptors of its own and emulates the limit, so accept() never fails there.
#   (It runs in every other suite.) The re-entrancy matrix's AcceptFailure scenarios (Server_AcceptFailure_*,
#   Server_PlainAcceptFailure_*) do the same, for the same reason, and so does the coverage check that
#   runs every scenario (ReentrancyCoverage.*).
# - Deferred PSK answers (QSslPreSharedKeyAuthenticator::deferAnswer()) need OpenSSL's async jobs, whose
#   stack switches valgrind cannot follow; under valgrind QtPsk runs handshakes without them and refuses a
#   deferral (src/engine/tlsenginepause.cpp), so the re-entrancy matrix's Deferred* scenarios cannot pass
#   here. They and the two deferred-answer executables below run under ASan and TSan.
excluded="QTcpServer.OutOfDescriptorsEmitsAcceptErrorAndRecovers:*AcceptFailure*:ReentrancyCoverage.*:*Deferred*"
# Executables that cannot run under valgrind, and why:
# - keywipe_test replaces free()/realloc() and OpenSSL's allocator to read every freed block for key
#   bytes; valgrind owns the allocator (its free() is not interposable) and reports every read of
#   the freed, uninitialised tails as an error. It runs in the normal and the sanitizer suites.
# - pending_answer_test and qsslsocket_deferredpsk_test defer every answer (see Deferred* above).
excluded_executables="keywipe_test pending_answer_test qsslsocket_deferredpsk_test"

executables=()
for label in "${labels[@]}"; do
    list="$build/tests/labels/$label.txt"
    [ -f "$list" ] || { echo "memcheck: no tests labelled '$label' in $build" >&2; exit 1; }
    while read -r exe; do
        [ -n "$exe" ] || continue
        case " $excluded_executables " in *" $(basename "$exe") "*) continue ;; esac
        executables+=("$exe")
    done <"$list"
done

# PCRE2's JIT (behind QRegularExpression, which the tests' peer fixtures use) reads 16 bytes at a time past
# the end of a string on purpose; valgrind reports those reads. Qt's switch turns the JIT off.
export QT_ENABLE_REGEXP_JIT=0

logs="$build/memcheck"
mkdir -p "$logs"
run_one() {
    local exe="$1" log="$logs/$(basename "$1").log" start=$SECONDS status=0
    valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --num-callers=30 \
        --suppressions="$PWD/tests/sanitizers/valgrind.supp" \
        "$exe" --gtest_filter="-$excluded" --gtest_brief=1 >"$log" 2>&1 || status=$?
    if [ "$status" -eq 0 ]; then
        echo "memcheck: $(basename "$exe") clean ($((SECONDS - start)) s)"
    else
        echo "memcheck: $(basename "$exe") FAILED (exit $status, $((SECONDS - start)) s), log $log:"
        tail -n 60 "$log"
        return 1
    fi
}
export -f run_one
export logs excluded
printf '%s\n' "${executables[@]}" | sort -u | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {}
echo "memcheck: ${#executables[@]} executables clean for labels: ${labels[*]}"
