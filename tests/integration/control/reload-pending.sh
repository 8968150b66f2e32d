#!/bin/bash
# A reload while services stop for it: its stops follow `after`, a service
# stopped by request stays stopped, corralctl start and restart of what it
# replaces wait for it, SIGHUP and corralctl reload arriving meanwhile run
# once more afterwards, and replacing the main service does not end the pod.
. "$(dirname "$0")/lib.sh"
require_ns
require_python
H=$HELPER

# V sets the env of the changed services; SLOW how long "slow" takes to stop.
write_conf() { # V
        cat >"$T/pod.conf" <<CONF
services = (
  { name = "db"; command = [ "$H", "record", "$T/rec", "db" ]; env = { V = "$1"; }; },
  { name = "web"; command = [ "$H", "record", "$T/rec", "web" ]; after = [ "db" ]; env = { V = "$1"; }; },
  { name = "app"; main = true; command = [ "$H", "sleep-forever" ]; env = { V = "$1"; }; },
  { name = "off"; command = [ "$H", "sleep-forever" ]; env = { V = "$1"; }; },
  { name = "slow"; command = [ "$H", "ignore-term", "$T/ign" ]; stop_timeout_ms = 1500; env = { V = "$1"; }; },
  { name = "keep"; command = [ "$H", "sleep-forever" ]; }
);
CONF
}
v_of() { ctl exec "$1" -- /bin/sh -c 'echo "$V"' 2>/dev/null; }
v_is() { [ "$(v_of "$1")" = "$2" ]; }
reload_done() { [ "$(grep -c 'reload: done' "$T/err")" -ge "$1" ]; }

write_conf 1
start_corral -c "$T/pod.conf"
wait_for 20000 socket_up && wait_for 20000 state_is web ready && wait_for 20000 state_is slow ready &&
        wait_for 20000 state_is off ready
ok $? "the first config runs"
wait_for 20000 file_has "$T/ign" ready
app=$(pid_of app)
keep=$(pid_of keep)

# A service stopped by request before the reload stays stopped after it.
ctl stop off && wait_for 20000 state_is off stopped
ok $? "off is stopped by request"

write_conf 2
: >"$T/rec"
ctl reload >"$T/r" 2>&1
is $? 0 "reload exits 0"
grep -q '0 added, 0 removed, 5 changed, 1 unchanged' "$T/r"
ok $? "five services change: $(cat "$T/r")"

# While slow takes its time: start and restart of what the reload replaces
# wait for it, and a second reload (SIGHUP, then corralctl) runs after it.
wait_for 20000 state_is slow stopping
ok $? "slow is stopping for the reload"
ctl start slow >"$T/s" 2>&1
is $? 0 "start of a service being replaced exits 0"
grep -q 'once the reload' "$T/s"
ok $? "and says it starts once the reload is applied: $(cat "$T/s")"
ctl restart slow >/dev/null 2>&1
is $? 0 "restart of it too"
write_conf 3
kill -HUP "$CPID"
wait_for 20000 file_has "$T/err" "SIGHUP: .*once"
ok $? "a SIGHUP during the reload is queued: $(grep SIGHUP "$T/err" | tail -1)"

wait_for 30000 reload_done 1
ok $? "the first reload is applied"
# (the stop order is corral's log: web stopped before db)
wpos=$(grep -n 'service "web": stopped' "$T/err" | head -1 | cut -d: -f1)
dpos=$(grep -n 'service "db": stopped' "$T/err" | head -1 | cut -d: -f1)
[ -n "$wpos" ] && [ -n "$dpos" ] && [ "$wpos" -lt "$dpos" ]
ok $? "the reload stopped web before db, which web comes after (lines $wpos, $dpos)"
first() { grep -n "^$1" "$T/rec" | head -1 | cut -d: -f1; }
[ -n "$(first 'stop web')" ] && [ -n "$(first 'stop db')" ] && [ "$(first 'stop web')" -lt "$(first 'stop db')" ]
ok $? "web got its stop signal before db: $(tr '\n' ' ' <"$T/rec")"

# The queued reload reads version 3.
wait_for 30000 reload_done 2
ok $? "the queued reload is applied too"
wait_for 20000 v_is web 3 && wait_for 20000 v_is slow 3 && wait_for 20000 v_is app 3
ok $? "every changed service runs version 3"
is "$(field off state)" stopped "off, stopped by request, stayed stopped across both reloads"
is "$(pid_of keep)" "$keep" "the unchanged service kept its pid"
[ "$(pid_of app)" != "$app" ] && kill -0 "$CPID" 2>/dev/null
ok $? "the main service was replaced, and the pod goes on"
! file_has "$T/err" "stopping the pod"
ok $? "replacing the main service did not stop the pod"

# corralctl reload during a reload: answered once it ran, after the first.
write_conf 4
ctl reload >/dev/null 2>&1
wait_for 20000 state_is slow stopping
write_conf 5
ctl reload >"$T/r2" 2>&1
is $? 0 "a reload asked during a reload exits 0"
grep -q 'changed' "$T/r2" && ! grep -q 'still being applied' "$T/r2"
ok $? "it waited for the first and reports its own: $(tr '\n' ' ' <"$T/r2")"
wait_for 30000 reload_done 4 && wait_for 20000 v_is slow 5
ok $? "both are applied: slow runs version 5"
ctl reload >"$T/r3" 2>&1
is $? 0 "a later reload is accepted (nothing is wedged)"
! grep -q '^corral: error:' "$T/err"
ok $? "no error was logged: $(grep '^corral: error:' "$T/err" | head -2 | tr '\n' ' ')"

shutdown_corral
is "$RC" 143 "shutdown ends the pod with the main service's status"
done_testing
