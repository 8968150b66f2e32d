#!/bin/bash
# Readiness and liveness: type "notify" gating `after`, STATUS=, tcp and
# exec ready probes, health probes restarting, a missed watchdog, a ready
# timeout failing the start, and READY=1/STOPPING=1 to corral's own manager.
. "$(dirname "$0")/lib.sh"
require_ns
require_python
H=$HELPER
PORT=$((20000 + $$ % 20000))

cat >"$T/pod.conf" <<CONF
services = (
  { name = "n"; type = "notify"; command = [ "$PY", "$CH", "notify-when", "$T/go-n" ]; },
  { name = "after-n"; command = [ "$H", "sleep-forever" ]; after = [ "n" ]; },
  { name = "t"; command = [ "$PY", "$CH", "tcp-when", "$PORT", "$T/go-t" ];
    ready = { tcp = "127.0.0.1:$PORT"; interval_ms = 100; timeout_ms = 60000; }; },
  { name = "e"; command = [ "$H", "sleep-forever" ];
    ready = { exec = [ "/bin/test", "-e", "$T/go-e" ]; interval_ms = 100; timeout_ms = 60000; }; },
  { name = "after-te"; command = [ "$H", "sleep-forever" ]; after = [ "t", "e" ]; },
  { name = "fork"; type = "notify"; notify_access = "all";
    command = [ "$PY", "$CH", "handover", "$T/go-fork" ]; },
  { name = "h"; command = [ "$H", "sleep-forever" ]; restart_delay_ms = 100;
    health = { exec = [ "/bin/test", "-e", "$T/healthy" ]; interval_ms = 100; failures = 3; }; }
);
CONF
touch "$T/healthy"
"$PY" "$CH" manager "$T/mgr.sock" "$T/mgr.log" &
MGR=$!
T_PIDS="$T_PIDS $MGR"
wait_for 5000 test -S "$T/mgr.sock"
NOTIFY_SOCKET="$T/mgr.sock" start_corral -c "$T/pod.conf"
wait_for 5000 socket_up
ok $? "corral is up"

wait_for 5000 state_is n running && wait_for 5000 state_is t running && wait_for 5000 state_is e running
ok $? "notify, tcp and exec services run but are not ready yet"
is "$(field after-n state) $(field after-n pid)" "stopped None" "a service after a notify service waits for READY=1"
is "$(field after-te state)" stopped "a service after probed services waits for their probes"
ctl check n >/dev/null
is $? 1 "check: a running notify service that is not ready exits 1"
[ ! -s "$T/mgr.log" ]
ok $? "no READY=1 upward while services are not ready"

touch "$T/go-n"
wait_for 5000 state_is n ready
ok $? "READY=1 makes the notify service ready"
wait_for 5000 state_is after-n ready
ok $? "and starts the service after it"
ctl exec after-n -- /usr/bin/env >"$T/env" 2>&1 && grep -q '^PATH=' "$T/env" && ! grep -q 'mgr.sock' "$T/env"
ok $? "corral's own NOTIFY_SOCKET is not passed on"
ctl status n | grep -q '^status: serving'
ok $? "STATUS= is shown by status NAME"
ctl exec n -- /bin/sh -c 'test "$NOTIFY_SOCKET" = "'"$T"'/run/notify"'
ok $? "a notify service gets NOTIFY_SOCKET=RUN_DIR/notify"

touch "$T/go-t"
wait_for 5000 state_is t ready
ok $? "tcp probe: ready once the port accepts"
is "$(field after-te state)" stopped "the dependent still waits for the exec probe"
touch "$T/go-e"
wait_for 5000 state_is e ready
ok $? "exec probe: ready once the command succeeds"
wait_for 5000 state_is after-te ready
ok $? "the service after both starts"

wait_for 5000 state_is fork ready
ok $? "READY=1 from a child of the main process counts with notify_access \"all\""
forkpid=$(pid_of fork)
file_has "$T/err" "service \"fork\": main process is now $forkpid"
ok $? "MAINPID= makes that child the main process"
wait_for 5000 file_has "$T/mgr.log" 'READY=1'
ok $? "READY=1 to corral's own manager once every service is ready"
first=$(grep -o 'service "fork": started, pid [0-9]*' "$T/err" | head -1 | grep -o '[0-9]*$')
first_gone() { ctl exec n -- /bin/sh -c "! kill -0 $first 2>/dev/null"; }
touch "$T/go-fork"
wait_for 5000 first_gone
ctl exec n -- /bin/sh -c "kill -0 $forkpid" && state_is fork ready && [ "$(field fork restarts)" = 0 ]
ok $? "the first process exits, the service stays ready with the new main process"
ctl kill fork TERM && wait_for 5000 pid_changed fork "$forkpid"
ok $? "signals go to the new main process, whose end restarts the service"

hpid=$(pid_of h)
rm -f "$T/healthy"
wait_for 5000 file_has "$T/err" 'service "h": health probe failed 3 times in a row'
ok $? "three failed health probes in a row are reported"
wait_for 5000 pid_changed h "$hpid"
ok $? "and restart the service"
file_has "$T/err" 'service "h": health probe failed (1 of 3)'
ok $? "single failures are counted first"
touch "$T/healthy"
wait_for 5000 state_is h ready
ok $? "the restarted service is ready again"
is "$(grep -c 'READY=1' "$T/mgr.log")" 1 "READY=1 upward only once"

shutdown_corral
is "$RC" 0 "shutdown"
wait_for 5000 not_running "$MGR"
file_has "$T/mgr.log" 'STOPPING=1'
ok $? "STOPPING=1 to corral's own manager at shutdown"

# A missed watchdog kills and restarts; a ready timeout fails the start.
cat >"$T/wd.conf" <<CONF
services = (
  { name = "wd"; type = "notify"; watchdog_ms = 500; restart_delay_ms = 100;
    command = [ "$PY", "$CH", "watchdog", "8", "$T/wd-starts" ]; },
  { name = "slow"; restart = "never"; command = [ "$H", "sleep-forever" ];
    ready = { file = "$T/never"; interval_ms = 50; timeout_ms = 400; }; }
);
CONF
start_corral -c "$T/wd.conf"
wait_for 5000 socket_up
ok $? "corral is up"
wait_for 5000 state_is wd ready
ok $? "a watchdog service that pings stays ready"
wdpid=$(pid_of wd)
ctl exec wd -- /bin/sh -c "tr '\\0' '\\n' </proc/$wdpid/environ" | grep -qx 'WATCHDOG_USEC=500000'
ok $? "the service is told WATCHDOG_USEC"
wait_for 5000 lines_of "$T/wd-starts" 2
ok $? "a missed watchdog restarts the service"
file_has "$T/err" 'service "wd": watchdog: no WATCHDOG=1 within 500 ms'
ok $? "the miss is logged"
wait_for 5000 state_is slow failed
ok $? "a ready probe that never passes within timeout_ms fails the start"
file_has "$T/err" 'service "slow": not ready within 400 ms'
ok $? "and says so"
shutdown_corral
is "$RC" 0 "a requested shutdown exits 0"
# Probes and exec enter the service: with a net namespace of its own,
# 127.0.0.1 is the service's, not the host's.
cat >"$T/netns.conf" <<CONF
services = (
  { name = "inside"; namespaces = { net = true; }; command = [ "$PY", "$CH", "tcp-when", "$PORT", "$T/go-in" ];
    ready = { tcp = "127.0.0.1:$PORT"; interval_ms = 100; timeout_ms = 60000; }; }
);
CONF
touch "$T/go-in"
start_corral -c "$T/netns.conf"
wait_for 5000 socket_up
ok $? "corral is up"
wait_for 5000 state_is inside ready
ok $? "a tcp probe reaches a listener in the service's own net namespace"
! "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$PORT" 2>/dev/null
ok $? "the port is not open on the host's 127.0.0.1"
ctl exec inside -- "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$PORT"
ok $? "corralctl exec runs inside the service's net namespace"
shutdown_corral
is "$RC" 0 "shutdown"
done_testing
