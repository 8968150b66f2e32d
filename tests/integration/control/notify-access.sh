#!/bin/bash
# Who may speak for a notify service (SPEC 2 notify_access, SPEC 10): an
# unprivileged process in a foreign cgroup whose path ends like a
# service's leaf, a service whose leaf is x/web, a process of a service
# with notify_access "main" or "none": none of them changes anything, and
# the drops are counted.  MAINPID= naming a grandchild: its death is seen
# at once and stop works; from a service in its own PID namespace it is
# refused.  corral runs with --cgroup-root on this host's cgroup2 mount.
. "$(dirname "$0")/lib.sh"
require_ns
require_python
command -v setpriv >/dev/null && command -v nsenter >/dev/null || skip_all "setpriv or nsenter missing"
mnt=$(grep ' - cgroup2 ' /proc/self/mountinfo | head -1 | cut -d' ' -f5)
[ -n "$mnt" ] || skip_all "no cgroup2 mount"
R=$mnt/corral-notify-$$
A=$mnt/corral-notify-att-$$
mkdir "$R" 2>/dev/null || skip_all "cannot make a cgroup under $mnt"
mkdir -p "$A/web"

rm_cgroups() {
        local d
        for d in "$R" "$A"; do
                [ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill" 2>/dev/null
        done
        for d in $(find "$R" "$A" -depth -type d 2>/dev/null); do
                wait_for 5000 rmdir "$d"
        done
}
notify_cleanup() {
        cleanup
        rm_cgroups
}
trap notify_cleanup EXIT

# The attacker (uid 65534) must reach the run directory's socket.
chmod 0711 "$T"
cat >"$T/n.py" <<'PY'
import os, socket, sys, time

def send(path, msgs):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(path)
    for m in msgs:
        s.send(m.encode())
    s.close()

def idle():
    while True:
        time.sleep(3600)

a = sys.argv[1:]
if a[0] == "send":
    send(a[1], a[2:])
elif a[0] == "send-until":
    # Alive until told: a sender already gone when corral reads its
    # datagram has no /proc entry left to attribute it by.
    send(a[2], a[3:])
    while not os.path.exists(a[1]):
        time.sleep(0.02)
elif a[0] == "when":
    while not os.path.exists(a[1]):
        time.sleep(0.02)
    send(os.environ["NOTIFY_SOCKET"], a[2:])
    idle()
elif a[0] == "grandchild":
    # The main process and its child stay: the grandchild is nobody's
    # orphan, corral is not its parent.
    if os.fork() == 0:
        if os.fork() == 0:
            send(os.environ["NOTIFY_SOCKET"], ["MAINPID=%d\nREADY=1" % os.getpid()])
        idle()
    idle()
elif a[0] == "in-pidns":
    send(os.environ["NOTIFY_SOCKET"], ["MAINPID=1\nREADY=1"])
    idle()
PY
chmod 0644 "$T/n.py"
N="$T/n.py"
cat >"$T/pod.conf" <<CONF
services = (
  { name = "web"; type = "notify"; command = [ "$PY", "$N", "when", "$T/go-web", "READY=1" ];
    watchdog_ms = 600000; },
  { name = "ngx"; type = "notify"; notify_access = "all"; cgroup = { path = "x/web"; };
    command = [ "$PY", "$N", "when", "$T/never", "READY=1" ]; },
  { name = "quiet"; type = "notify"; notify_access = "none";
    command = [ "$PY", "$N", "when", "$T/go-quiet", "READY=1" ]; },
  { name = "d"; type = "notify"; notify_access = "all"; restart_delay_ms = 60000; restart_delay_max_ms = 60000;
    command = [ "$PY", "$N", "grandchild" ]; },
  { name = "pns"; type = "notify"; namespaces = { pid = true; };
    command = [ "$PY", "$N", "in-pidns" ]; }
);
CONF
start_corral -c "$T/pod.conf" --cgroup-root "$R"
wait_for 20000 socket_up
ok $? "corral is up with its cgroup root at $R"
wait_for 20000 state_is web running
webpid=$(pid_of web)

# An exec in ngx (leaf x/web) sends STOPPING=1, which corral only logs: it
# is ngx's, never web's.  As datagrams are handled in order, once the line
# is logged every datagram sent before it was handled.
sync_n=0
sync_notify() {
        sync_n=$((sync_n + 1))
        ctl exec ngx -- "$PY" "$N" send-until "$T/sync.$sync_n" "$T/run/notify" "STOPPING=1" >/dev/null 2>&1 &
        local cp=$! r
        wait_for 10000 synced
        r=$?
        touch "$T/sync.$sync_n"
        wait "$cp"
        return $r
}
synced() { [ "$(grep -c 'service "ngx": stopping' "$T/err")" -ge "$sync_n" ]; }

# The attacker: uid 65534, in corral's PID namespace, in cgroup .../web
# outside corral's root.
attack() {
        nsenter -t "$CPID" -p -- /bin/sh -c 'echo $$ >"$1/cgroup.procs" && shift &&
                exec setpriv --reuid 65534 --regid 65534 --clear-groups -- "$@"' sh "$A/web" \
                "$PY" "$N" send "$T/run/notify" "$@"
}
attack "READY=1" "STATUS=pwned" "WATCHDOG=trigger" "MAINPID=1"
ok $? "the attacker sent its datagrams"
sync_notify
ok $? "a process of ngx (leaf x/web) speaks for ngx"
is "$(field web state) $(pid_of web)" "running $webpid" \
        "READY=1, WATCHDOG=trigger, MAINPID=, STATUS= from a foreign cgroup ending in /web change nothing"
file_has "$T/err" 'notify: dropped a message from pid [0-9]* (uid 65534): no process of any service'
ok $? "the drop is reported"
grep -q 'service "web": WATCHDOG=trigger\|service "web": ready\|service "web": main process' "$T/err"
is $? 1 "no message of the attacker was acted on"

# ngx's processes may speak only for ngx: WATCHDOG=trigger from x/web
# would kill ngx, never web.
ctl exec ngx -- "$PY" "$N" send-until "$T/ready-seen" "$T/run/notify" "READY=1" >/dev/null 2>&1 &
cp=$!
wait_for 10000 state_is ngx ready
ok $? "READY=1 from a process of ngx's leaf makes ngx ready (notify_access \"all\")"
touch "$T/ready-seen"
wait "$cp"
is "$(field web state)" running "and not web, whose leaf name is its last part"

# notify_access "main": a process of web's own leaf that is not its main
# process is refused.
ctl exec web -- "$PY" "$N" send "$T/run/notify" "READY=1" >/dev/null 2>&1
sync_notify
is "$(field web state)" running "notify_access \"main\": web's other processes are refused"
touch "$T/go-web"
wait_for 10000 state_is web ready
ok $? "the main process of web makes it ready"

# notify_access "none": not even the main process.
touch "$T/go-quiet"
ctl exec quiet -- "$PY" "$N" send "$T/run/notify" "READY=1" >/dev/null 2>&1
sync_notify
sync_notify
is "$(field quiet state)" running "notify_access \"none\": neither the main process nor others make it ready"

# MAINPID= naming a grandchild that corral is not the parent of.
wait_for 20000 state_is d ready
ok $? "MAINPID= and READY=1 from the grandchild (notify_access \"all\")"
gpid=$(pid_of d)
file_has "$T/err" "service \"d\": main process is now $gpid"
ok $? "the grandchild is the main process"
hp=$(host_pid "$gpid")
ppid_of_g=$(awk '/^PPid:/ { print $2 }' "/proc/$hp/status")
[ "$ppid_of_g" != "$CPID" ]
ok $? "corral is not its parent"
kill -KILL "$hp"
wait_for 10000 file_has "$T/err" "service \"d\": main process $gpid ended; it is not corral's child"
ok $? "its death is seen at once, through its pidfd"
wait_for 10000 eval '[ "$(field d state)" != ready ]'
ok $? "the service leaves ready ($(field d state))"
ctl start d >/dev/null 2>&1
wait_for 20000 state_is d ready
ok $? "started again, the new grandchild is its main process"
ctl stop d >/dev/null 2>&1
wait_for 20000 state_is d stopped
ok $? "stop ends a service whose main process is not corral's child ($(field d state))"

# A MAINPID= of a service in its own PID namespace names a pid of that
# namespace: refused, never read as one of corral's.
wait_for 20000 state_is pns ready
ok $? "READY=1 from the command under its namespace's init counts as the main process"
file_has "$T/err" 'service "pns": MAINPID=1 refused: the service has a PID namespace of its own'
ok $? "its MAINPID= is refused with a message"

shutdown_corral 20000
is "$RC" 0 "corral exits 0"
file_has "$T/err" 'notify: [0-9]* messages dropped in all'
ok $? "the count of dropped messages is reported at the end"
grep -o 'notify: [0-9]* messages dropped in all.*' "$T/err" | sed 's/^/# /'
done_testing
