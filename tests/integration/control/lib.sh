# Helpers of the control tests, on top of the supervisor tests' TAP helpers.
. "$(dirname "$0")/../supervise/lib.sh"
: "${CORRALCTL:?CORRALCTL must name the corralctl binary}"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
CH="$(cd "$(dirname "$0")" && pwd)/ctlhelper.py"

require_python() { [ -n "$PY" ] && [ -x "$PY" ] || skip_all "python3 not available"; }

ctl() { "$CORRALCTL" -s "$T/run/control" "$@"; }

# field NAME KEY: one key of a service in `status --json` (Python repr).
field() {
        ctl status --json 2>/dev/null | "$PY" -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]:
        print(s[sys.argv[2]])' "$1" "$2"
}

state_is() { [ "$(field "$1" state)" = "$2" ]; }
pid_of() { field "$1" pid; }
pid_changed() { local p; p=$(pid_of "$1"); [ -n "$p" ] && [ "$p" != None ] && [ "$p" != "$2" ]; }
restarts_at_least() { local r; r=$(field "$1" restarts); [ -n "$r" ] && [ "$r" -ge "$2" ]; }
socket_up() { [ -S "$T/run/control" ] && ctl status >/dev/null 2>&1; }

# Stop corral through its socket and collect its status.
shutdown_corral() {
        ctl shutdown >/dev/null 2>&1
        wait_corral "${1:-10000}"
}

# host_pid PID: the pid here of the process corral knows as PID (corral
# runs in a PID namespace of its own).
host_pid() {
        local ns st d
        ns=$(readlink "/proc/$CPID/ns/pid")
        for st in /proc/[0-9]*/status; do
                d=${st%/status}
                [ "$(readlink "$d/ns/pid" 2>/dev/null)" = "$ns" ] || continue
                if awk -v p="$1" '/^NSpid:/ { f = ($3 == p) } END { exit !f }' "$st" 2>/dev/null; then
                        echo "${d#/proc/}"
                        return 0
                fi
        done
        return 1
}
