#!/bin/bash
# corral running late (a loaded machine, a stopped or throttled container):
# when it wakes, a service's timer and the datagram that answers it are due
# in one loop turn.  A WATCHDOG=1 the service sent in time, waiting in the
# notify socket, must count before the watchdog judges the service.
. "$(dirname "$0")/lib.sh" || exit 1
require_ns
require_python

cat >"$T/late.conf" <<CONF
services = (
  { name = "wd"; type = "notify"; watchdog_ms = 400; restart_delay_ms = 100;
    command = [ "$PY", "$CH", "watchdog", "1000000", "$T/wd-starts" ]; }
);
CONF
start_corral -c "$T/late.conf"
wait_for 5000 socket_up
ok $? "corral is up"
wait_for 5000 state_is wd ready
ok $? "wd is ready and pings every 100 ms"

# corral stopped for 1 s, well past watchdog_ms, while wd keeps pinging.
kill -STOP "$CPID"
sleep 1
kill -CONT "$CPID"
# Whatever corral does with the backlog, it has done once it answers.
wait_for 5000 socket_up
ok $? "corral answers again"
is "$(grep -c . "$T/wd-starts")" 1 "wd was not restarted"
grep -q 'watchdog: no WATCHDOG=1' "$T/err"
is "$?" 1 "no watchdog miss was logged"
is "$(field wd state)" ready "wd is still ready"

shutdown_corral
is "$RC" 0 "shutdown"
done_testing
