# TAP helpers for corral's integration tests (sourced by the *.sh tests).
# Each run of corral is PID 1 of a new PID namespace:
#   unshare --pid --fork --mount-proc --kill-child corral --run-dir ...
# so everything it starts dies with it, and nothing leaks onto the host.

: "${CORRAL:?CORRAL must name the corral binary}"
: "${HELPER:?HELPER must name corral-testhelper}"

T_N=0
T_FAILED=0
T_PIDS=""

ok() { # COND-STATUS DESCRIPTION
        T_N=$((T_N + 1))
        if [ "$1" -eq 0 ]; then
                echo "ok $T_N - $2"
        else
                echo "not ok $T_N - $2"
                T_FAILED=$((T_FAILED + 1))
        fi
}

is() { # GOT WANT DESCRIPTION
        if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "  got '$1', want '$2'"; fi
}

diag() { printf '%s\n' "$*" | sed 's/^/# /'; }


skip_all() { echo "1..0 # SKIP $*"; exit 0; }

done_testing() {
        echo "1..$T_N"
        [ "$T_FAILED" -eq 0 ]
}

require_ns() {
        [ "$(id -u)" = 0 ] || skip_all "needs root for PID namespaces"
        command -v unshare >/dev/null || skip_all "unshare not available"
        unshare --pid --fork --mount-proc true 2>/dev/null || skip_all "cannot create a PID namespace"
        T=$(mktemp -d /tmp/corral-test.XXXXXX)
        trap cleanup EXIT
}

cleanup() {
        for p in $T_PIDS; do
                kill -KILL "$p" 2>/dev/null
                wait "$p" 2>/dev/null
        done
        [ -n "$T" ] && rm -rf "$T"
}

# Start corral in the background as PID 1 of a new PID namespace.
# Sets UPID (the unshare process, whose exit status is corral's) and CPID
# (corral itself as the host sees it).  Output: $T/out and $T/err.
start_corral() {
        mkdir -p "$T/run"
        : >"$T/out"
        : >"$T/err"
        unshare --pid --fork --mount-proc --kill-child=SIGKILL \
                "$CORRAL" --run-dir "$T/run" "$@" >"$T/out" 2>"$T/err" &
        UPID=$!
        T_PIDS="$T_PIDS $UPID"
        CPID=""
        wait_for 20000 find_cpid
}

# Found, or unshare already ended (a command that exits at once): either
# way there is nothing more to wait for.
find_cpid() {
        CPID=$(cat "/proc/$UPID/task/$UPID/children" 2>/dev/null | awk '{print $1}')
        [ -n "$CPID" ] || not_running "$UPID"
}

# wait_for TIMEOUT_MS COMMAND...: poll COMMAND until it succeeds or the
# deadline passes (returns 1 then).
wait_for() {
        local deadline=$(( $(date +%s%3N) + $1 ))
        shift
        until "$@"; do
                [ "$(date +%s%3N)" -ge "$deadline" ] && return 1
                sleep 0.02
        done
}

# wait_corral TIMEOUT_MS: wait for corral to end; sets RC (124 on timeout,
# after which it is killed).
wait_corral() {
        if wait_for "$1" not_running "$UPID"; then
                wait "$UPID"
                RC=$?
        else
                kill -KILL "$UPID" 2>/dev/null
                wait "$UPID" 2>/dev/null
                RC=124
        fi
        T_PIDS=$(echo "$T_PIDS" | sed "s/ $UPID\b//")
}

not_running() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# Run corral to completion: run_corral TIMEOUT_MS ARGS...
run_corral() {
        local timeout=$1
        shift
        start_corral "$@"
        wait_corral "$timeout"
}

file_has() { grep -q -- "$2" "$1" 2>/dev/null; }
lines_of() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
