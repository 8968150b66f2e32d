#!/bin/bash
# A probe that hangs is killed whole at its timeout: the attempt forks once
# more after joining the service's namespaces, and that process (the exec
# probe itself) must go too, or each interval leaves one more behind.
. "$(dirname "$0")/../supervise/lib.sh"
require_ns
SLEEP=$(command -v sleep) || skip_all "needs sleep"

# A value no other process on the machine sleeps for names the probes.
MARK="777.$$"
probes() {
        local n=0 f
        for f in /proc/[0-9]*/cmdline; do
                [ "$(tr '\0' ' ' <"$f" 2>/dev/null)" = "$SLEEP $MARK " ] && n=$((n + 1))
        done
        echo "$n"
}

cat >"$T/probe.conf" <<CONF
settings = { cgroups = "optional"; };
services = (
  { name = "plain"; command = [ "$HELPER", "sleep-forever" ];
    health = { exec = [ "$SLEEP", "$MARK" ]; interval_ms = 100; failures = 1000; }; },
  { name = "inside"; command = [ "$HELPER", "sleep-forever" ]; namespaces = { pid = true; mount = true; };
    health = { exec = [ "$SLEEP", "$MARK" ]; interval_ms = 100; failures = 1000; }; }
);
CONF
start_corral -c "$T/probe.conf"
# Each attempt may take its interval (at least 1 s) and 1 s more.
wait_for 90000 file_has "$T/err" 'service "plain": health probe failed (10 of 1000)'
ok $? "ten health probe attempts of plain timed out"
wait_for 30000 file_has "$T/err" 'service "inside": health probe failed (10 of 1000)'
ok $? "ten health probe attempts of inside (own pid and mount namespaces) timed out"
# At most the attempt running now (one per service) is left.
left=$(probes)
[ "$left" -le 2 ]
ok $? "no probe left behind by the ten timeouts of each ($left running, at most 2 expected)"
kill -TERM "$CPID"
wait_corral 20000
is "$RC" 0 "corral exits 0 after SIGTERM"
wait_for 10000 test "$(probes)" = 0
ok $? "no probe left after corral stopped"
[ -s "$T/err" ] && grep -v 'health probe failed' "$T/err" | sed 's/^/# /'
done_testing
