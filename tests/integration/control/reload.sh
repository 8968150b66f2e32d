#!/bin/bash
# Reload (corralctl reload, SIGHUP): unchanged services keep their pid,
# changed ones restart, removed ones stop, added ones start; a broken config
# is refused whole and changes nothing.
. "$(dirname "$0")/lib.sh"
require_ns
require_python
H=$HELPER

write_conf() { # extra lines for the services list
        cat >"$T/pod.conf" <<CONF
services = (
  { name = "keep"; command = [ "$H", "sleep-forever" ]; },
  $1
);
CONF
}
has_service() { ctl status "$1" >/dev/null 2>&1; }
gone() { ! has_service "$1"; }

write_conf '{ name = "change"; command = [ "'"$H"'", "sleep-forever" ]; env = { V = "1"; }; },
  { name = "gone"; command = [ "'"$H"'", "sleep-forever" ]; after = [ "keep" ]; }'
start_corral -c "$T/pod.conf"
wait_for 5000 socket_up && wait_for 5000 state_is gone ready && wait_for 5000 state_is change ready
ok $? "the first config runs"
keep=$(pid_of keep)
change=$(pid_of change)
gonepid=$(pid_of gone)

ctl reload >"$T/r" 2>&1
is $? 0 "reload of the same config exits 0"
grep -q '0 added, 0 removed, 0 changed, 3 unchanged' "$T/r"
ok $? "and changes nothing"

write_conf '{ name = "change"; command = [ "'"$H"'", "sleep-forever" ]; env = { V = "2"; }; },
  { name = "new"; command = [ "'"$H"'", "sleep-forever" ]; after = [ "keep" ]; }'
ctl reload >"$T/r" 2>&1
is $? 0 "reload exits 0"
grep -q '1 added, 1 removed, 1 changed, 1 unchanged' "$T/r"
ok $? "reload reports what it does: $(cat "$T/r")"
wait_for 5000 state_is new ready
ok $? "an added service starts"
wait_for 5000 gone gone
ok $? "a removed service is gone from status"
ctl exec keep -- /bin/sh -c "! kill -0 $gonepid 2>/dev/null" && file_has "$T/err" 'service "gone": stopped'
ok $? "and its process ended"
wait_for 5000 pid_changed change "$change" && wait_for 5000 state_is change ready
ok $? "a changed service restarts"
ctl exec change -- /bin/sh -c 'test "$V" = 2'
ok $? "with its new settings"
newpid=$(pid_of new)
is "$(ctl exec keep -- /bin/sh -c "grep '^0::' /proc/$newpid/cgroup")" "$(grep '^0::' /proc/$CPID/cgroup)" \
        "a reload makes no cgroups where the start made none"
is "$(pid_of keep)" "$keep" "an unchanged service keeps its pid"
is "$(field keep restarts)" 0 "and was not restarted"

# Broken configs are refused whole: nothing changes.
change=$(pid_of change)
new=$(pid_of new)
cp "$T/pod.conf" "$T/good.conf"
echo 'services = ( { name = "x"; command = [ "/bin/true" ]; }' >"$T/pod.conf"
ctl reload >"$T/r" 2>&1
is $? 1 "a config with a syntax error: reload exits 1"
grep -q "$T/pod.conf:[0-9]" "$T/r" && grep -q 'nothing changed' "$T/r"
ok $? "the client is told where and that nothing changed"
write_conf '{ name = "new"; command = [ "'"$H"'", "sleep-forever" ]; after = [ "nope" ]; },
  { name = "bad"; command = [ "'"$H"'", "sleep-forever" ]; memory_max = "12Q"; }'
ctl reload >"$T/r" 2>&1
is $? 1 "a config with invalid services: reload exits 1"
grep -q 'nope' "$T/r" && grep -q 'memory_max' "$T/r"
ok $? "every error is reported"
file_has "$T/err" 'reload: config rejected'
ok $? "and logged"
is "$(pid_of keep) $(pid_of change) $(pid_of new)" "$keep $change $new" "the running set is untouched"
has_service bad
is $? 2 "no service of the broken config exists"

# SIGHUP reloads too.
cp "$T/good.conf" "$T/pod.conf"
sed -i 's/^);$/  ,{ name = "hup"; command = [ "'"${H//\//\\/}"'", "sleep-forever" ]; }\n);/' "$T/pod.conf"
kill -HUP "$CPID"
wait_for 5000 state_is hup ready
ok $? "SIGHUP: the added service starts"
is "$(pid_of keep) $(pid_of change)" "$keep $change" "SIGHUP: unchanged services keep their pids"
! file_has "$T/err" 'applying the cgroup and namespace plans'
ok $? "reloads without cgroups log no error about applying them"
shutdown_corral
is "$RC" 0 "shutdown after reloads"
done_testing
