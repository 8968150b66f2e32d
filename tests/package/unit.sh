#!/bin/bash
# packaging/corral.service: systemd accepts it (systemd-analyze verify, with
# the programs of this build standing in for /usr/sbin/corral and
# /usr/bin/corralctl), it asks for what corral needs (a delegated cgroup,
# Type=notify, SIGTERM to corral alone), its stop timeout leaves corral the
# whole of its default shutdown budget, and every corralctl command it
# runs exists.  Running it under a real systemd is not tested here.
set -u
UNIT=${UNIT:?}
CORRAL=${CORRAL:?}
CORRALCTL=${CORRALCTL:?}
MAN8=${MAN8:?}

. "$(dirname "$0")/lib.sh"

key() { # KEY: its value in the unit (the last one set)
        sed -n "s/^$1=//p" "$UNIT" | tail -1
}

if command -v systemd-analyze >/dev/null; then
        sed "s|/usr/sbin/corral\\b|$CORRAL|g; s|/usr/bin/corralctl\\b|$CORRALCTL|g" "$UNIT" >"$tmp/corral.service"
        if out=$(systemd-analyze verify --man=no "$tmp/corral.service" 2>&1) && [ -z "$out" ]; then
                ok "systemd-analyze verify: no complaint"
        else
                not_ok "systemd-analyze verify"
                diag <<<"$out"
        fi
else
        ok "# SKIP systemd-analyze not installed"
fi

for kv in Type=notify NotifyAccess=main Delegate=yes KillMode=mixed; do
        if [ "$(key "${kv%%=*}")" = "${kv#*=}" ]; then
                ok "$kv"
        else
                not_ok "$kv: found \"$(key "${kv%%=*}")\""
        fi
done

# TimeoutStopSec (seconds) must leave corral its whole shutdown budget:
# settings.shutdown_timeout_ms by default, as corral(8) states it.
budget_ms=$(grep -A6 '^\.B settings.shutdown_timeout_ms' "$MAN8" |
        grep -o '^([0-9]* by default' | grep -o '[0-9]*' | head -1)
stop=$(key TimeoutStopSec)
if [[ $stop =~ ^[0-9]+$ ]] && [ -n "$budget_ms" ] && ((stop * 1000 > budget_ms)); then
        ok "TimeoutStopSec=$stop s outlasts the default shutdown budget ($budget_ms ms)"
else
        not_ok "TimeoutStopSec=\"$stop\" against a shutdown budget of $budget_ms ms"
fi

# Each corralctl command line of the unit names a command corralctl has.
cmds=$("$CORRALCTL" --help | sed -n '/^commands:/,/^options:/p' | grep -o '^  [a-z][a-z |A-Z]*' |
        tr '|' '\n' | awk '{print $1}')
used=$(grep -E '^Exec[A-Za-z]*=.*corralctl' "$UNIT" | sed 's/.*corralctl//; s/-s [^ ]*//' | awk '{print $1}')
bad=
for c in $used; do grep -qxF "$c" <<<"$cmds" || bad+=" $c"; done
if [ -n "$used" ] && [ -z "$bad" ]; then
        ok "corralctl commands of the unit exist: $(echo $used)"
else
        not_ok "corralctl commands of the unit:${bad:- none found}"
fi

# corral's run dir in ExecStart and corralctl's socket in ExecReload agree.
rundir=$(key ExecStart | grep -o -- '--run-dir [^ ]*' | cut -d' ' -f2)
sock=$(key ExecReload | grep -o -- '-s [^ ]*' | cut -d' ' -f2)
if [ "$sock" = "${rundir:-/run/corral}/control" ]; then
        ok "ExecReload talks to the control socket of ExecStart's run dir"
else
        not_ok "ExecReload socket \"$sock\", ExecStart run dir \"$rundir\""
fi

done_testing
