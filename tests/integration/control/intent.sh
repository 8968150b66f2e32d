#!/bin/bash
# What an operator asks of one service (corralctl stop, start, restart) and
# what it means for the pod: a restart of the main service restarts it, a
# service being stopped is not ready, a main service stopped by request
# stays down with corral up.
. "$(dirname "$0")/lib.sh"
require_ns
require_python
H=$HELPER

cat >"$T/pod.conf" <<CONF
services = (
  { name = "app"; main = true; command = [ "$H", "sleep-forever" ]; after = [ "side" ]; },
  { name = "side"; command = [ "$H", "sleep-forever" ]; },
  { name = "slow"; command = [ "$H", "ignore-term", "$T/ign" ]; stop_timeout_ms = 60000; }
);
CONF
start_corral -c "$T/pod.conf"
wait_for 20000 socket_up && wait_for 20000 state_is app ready && wait_for 20000 state_is slow ready
ok $? "the pod runs"

# A service on its way down is not ready (status and check say so).
wait_for 20000 file_has "$T/ign" ready
ctl stop slow
wait_for 20000 state_is slow stopping
ok $? "a service ignoring its stop signal stays stopping"
is "$(field slow ready)" False "status --json: a stopping service is not ready"
ctl status >"$T/st"
grep -q '^slow  *stopping  *no' "$T/st"
ok $? "the status table says no: $(grep '^slow' "$T/st")"
ctl check slow >/dev/null
is $? 1 "check of a stopping service exits 1"
ctl kill slow KILL
wait_for 20000 state_is slow stopped
ok $? "killed, it is stopped"

# corralctl restart of the main service: a new process, the pod goes on.
app=$(pid_of app)
side=$(pid_of side)
ctl restart app
is $? 0 "restart app exits 0"
wait_for 20000 pid_changed app "$app" && wait_for 20000 state_is app ready
ok $? "the main service runs again with a new pid"
kill -0 "$CPID" 2>/dev/null && ctl status >/dev/null
ok $? "corral is still up after the restart of its main service"
is "$(pid_of side)" "$side" "the rest of the pod kept running"
! file_has "$T/err" "stopping the pod"
ok $? "the restart did not stop the pod"

# corralctl stop of the main service: it stays down, corral stays up,
# corralctl start brings it back.
ctl stop app
wait_for 20000 state_is app stopped
ok $? "stop app: the main service is stopped"
ctl status >/dev/null && kill -0 "$CPID" 2>/dev/null
ok $? "corral stays up while its main service is stopped by request"
ctl start app && wait_for 20000 state_is app ready
ok $? "start app: it runs again"

shutdown_corral
is "$RC" 143 "shutdown: the main service's end by SIGTERM is corral's status"
done_testing
