#!/bin/bash
# Restart policy, backoff, start limit, stop timeouts and failed execs of a
# pod declared in a config file.
. "$(dirname "$0")/lib.sh"
require_ns
H=$HELPER

# Backoff: exit 3 at once, restart after 100, 200, 400 ms; burst 4 -> failed.
cat >"$T/backoff.conf" <<CONF
services = (
  { name = "flaky"; command = [ "$H", "stamp", "$T/stamps", "3" ];
    restart_delay_ms = 100; start_limit = { burst = 4; interval_ms = 60000; }; }
);
CONF
run_corral 20000 -c "$T/backoff.conf"
is "$RC" 1 "a pod whose only service failed for good exits 1"
is "$(wc -l <"$T/stamps")" 4 "start_limit burst 4: four starts, then no more"
file_has "$T/err" 'service "flaky": start limit reached'
ok $? "the start limit is reported"
mapfile -t st <"$T/stamps"
for i in 1 2 3; do
        want=$((100 << (i - 1)))
        gap=$((st[i] - st[i - 1]))
        # The delay, plus up to 10% jitter, plus the time a start takes.
        [ "$gap" -ge "$want" ] && [ "$gap" -le $((want + want / 10 + 300)) ]
        ok $? "restart $i after ${want} ms (+jitter): took $gap ms"
done

# on-failure: exit 0 ends it, never: a failure is not restarted.
cat >"$T/policy.conf" <<CONF
services = (
  { name = "ok"; command = [ "$H", "stamp", "$T/ok", "0" ]; restart = "on-failure"; },
  { name = "bad"; command = [ "$H", "stamp", "$T/bad", "5" ]; restart = "never"; }
);
CONF
run_corral 20000 -c "$T/policy.conf"
is "$(wc -l <"$T/ok") $(wc -l <"$T/bad")" "1 1" "on-failure after exit 0 and never after exit 5: one start each"
is "$RC" 1 "nothing left to run with a failed service: exit 1"

# A failing exec is reported with its errno (a script whose interpreter is missing).
printf '#!/nonexistent/interpreter\n' >"$T/bad-interp"
chmod 0755 "$T/bad-interp"
cat >"$T/exec.conf" <<CONF
services = ( { name = "broken"; command = [ "$T/bad-interp" ]; restart = "never"; } );
CONF
run_corral 20000 -c "$T/exec.conf"
file_has "$T/err" "service \"broken\": exec $T/bad-interp: No such file or directory"
ok $? "a failing exec names the service, the command and the errno"
is "$RC" 1 "... and the pod ends with 1"

# A service ignoring SIGTERM is killed after its stop_timeout_ms.
cat >"$T/stop.conf" <<CONF
services = (
  { name = "stubborn"; command = [ "$H", "ignore-term", "$T/ign" ]; stop_timeout_ms = 700; },
  { name = "polite"; command = [ "$H", "record", "$T/rec", "polite" ]; }
);
CONF
start_corral -c "$T/stop.conf"
wait_for 20000 file_has "$T/ign" ready && wait_for 20000 file_has "$T/rec" "start polite"
ok $? "both services are up"
t0=$(date +%s%3N)
kill -TERM "$CPID"
wait_corral 10000
el=$(( $(date +%s%3N) - t0 ))
is "$RC" 0 "a requested shutdown without a main service exits 0"
[ "$el" -ge 650 ] && [ "$el" -lt 3000 ]
ok $? "the service ignoring SIGTERM was killed after 700 ms (took $el ms)"
file_has "$T/err" 'service "stubborn": still running after its stop timeout: SIGKILL'
ok $? "the SIGKILL is logged"
file_has "$T/rec" "stop polite"
ok $? "the other service got its SIGTERM"

# The pod's shutdown budget cuts a longer stop timeout short.
cat >"$T/budget.conf" <<CONF
settings = { shutdown_timeout_ms = 800; };
services = ( { name = "stubborn"; command = [ "$H", "ignore-term", "$T/ign2" ]; stop_timeout_ms = 20000; } );
CONF
start_corral -c "$T/budget.conf"
wait_for 20000 file_has "$T/ign2" ready
t0=$(date +%s%3N)
kill -TERM "$CPID"
wait_corral 10000
el=$(( $(date +%s%3N) - t0 ))
[ "$RC" = 0 ] && [ "$el" -ge 750 ] && [ "$el" -lt 5000 ]
ok $? "shutdown_timeout_ms 800 overrides a 20 s stop timeout (rc $RC, $el ms)"

# A main service and a sibling that both fail to start in one batch: a
# start that never made a process is never waited for, so the pod ends at
# once, well inside its 3 s budget, with nothing to SIGKILL.
cat >"$T/twofail.conf" <<CONF
settings = { shutdown_timeout_ms = 3000; };
services = (
  { name = "app"; main = true; restart = "never"; workdir = "/nonexistent/dir"; command = [ "/bin/true" ]; },
  { name = "side"; workdir = "/nonexistent/dir"; command = [ "/bin/true" ]; }
);
CONF
t0=$(date +%s%3N)
run_corral 20000 -c "$T/twofail.conf"
el=$(( $(date +%s%3N) - t0 ))
is "$RC" 127 "main and sibling fail to start together: corral exits 127"
[ "$el" -lt 2500 ]
ok $? "... without waiting for the sibling that never started (took $el ms)"
! file_has "$T/err" "survived SIGKILL" && ! file_has "$T/err" "shutdown took longer"
ok $? "... and without a SIGKILL of the whole pod"

# Without cgroups a stop reaches only a service's process group: corral
# says so when it starts.
cat >"$T/nocg.conf" <<CONF
services = ( { name = "one"; command = [ "$H", "exit", "0" ]; restart = "never"; } );
CONF
run_corral 20000 -c "$T/nocg.conf"
is "$RC" 0 "a pod without cgroups runs"
grep -q '^corral: warn: .*without cgroups.*process group' "$T/err"
ok $? "corral warns that stops reach only the process group: $(grep warn "$T/err" | head -1)"

# Fifty services ending at the same moment: every exit is seen.
{
        echo "services = ("
        for i in $(seq 1 50); do
                echo "  { name = \"s$i\"; command = [ \"$H\", \"exit\", \"0\" ]; restart = \"never\"; },"
        done
        echo "  { name = \"last\"; command = [ \"$H\", \"exit\", \"0\" ]; restart = \"never\"; }"
        echo ");"
} >"$T/many.conf"
run_corral 20000 -c "$T/many.conf"
is "$RC" 0 "51 services exiting together are all reaped and accounted for"
is "$(grep -c 'ended with exit code 0' "$T/err")" 51 "... each end is logged once"

done_testing
