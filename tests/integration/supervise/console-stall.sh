#!/bin/bash
# corral's stdout and stderr on one FIFO that its reader leaves unread for
# 10 s (a stalled log driver, a terminal paused with Ctrl-S) while one
# service restarts every 100 ms and another floods its output: corral keeps
# restarting, reaping and answering; once the reader starts, every line is
# whole and no line of corral's is spliced into a service's.
. "$(dirname "$0")/lib.sh"
require_ns
: "${CORRALCTL:?CORRALCTL must name the corralctl binary}"
H=$HELPER
STALL_S=10
FLOOD_LINES=40000
FLOOD_BYTES=$((FLOOD_LINES * 114)) # "seq=%08d " + 100 bytes + "\n"

# The flapping service is a shell line, not the helper: a sanitizer build of
# the helper alone takes about as long to start as the restart delay.
cat >"$T/stall.conf" <<CONF
services = (
  { name = "flap"; command = [ "/bin/sh", "-c", "echo start >>$T/ticks; exit 1" ];
    restart_delay_ms = 100; restart_delay_max_ms = 100;
    start_limit = { burst = 100000; interval_ms = 1000; }; },
  { name = "flood"; restart = "never"; command = [ "$H", "flood", "$FLOOD_BYTES" ]; }
);
CONF

ctl() { timeout 5 "$CORRALCTL" -s "$T/run/control" "$@"; }
ms() { date +%s%3N; }
ticks() { [ -f "$T/ticks" ] && wc -l <"$T/ticks" || echo 0; }

mkfifo "$T/console"
# The stalled reader: it opens the FIFO and never reads it.
sleep 1000 <"$T/console" &
HOLD=$!
T_PIDS="$T_PIDS $HOLD"
mkdir -p "$T/run"
unshare --pid --fork --mount-proc --kill-child=SIGKILL \
        "$CORRAL" --run-dir "$T/run" -c "$T/stall.conf" >"$T/console" 2>&1 &
UPID=$!
T_PIDS="$T_PIDS $UPID"
CPID=""
wait_for 20000 find_cpid
# Its start is when the FIFO's 64 KiB filled: the flood does that at once.
wait_for 20000 lines_of "$T/ticks" 3
ok $? "corral started its services with nobody reading its console"

# Zombie children of corral that are still there after a while.
lingering_zombies() {
        local z
        z=$(ps --ppid "$CPID" -o pid=,stat= | awk '$2 ~ /^Z/ { print $1 }')
        [ -n "$z" ] || return 0
        sleep 1
        for p in $z; do
                grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && echo " $p"
        done
}

# Answer times of the control socket, measured from a client that is already
# running (so they are corral's, not those of starting a program): the
# request `corralctl status` sends, every 0.2 s.
probe_status() {
        python3 - "$T/run/control" "$1" <<'PY'
import socket, sys, time
end = time.monotonic() + float(sys.argv[2])
n = slow = 0
worst = 0.0
while time.monotonic() < end:
    t = time.monotonic()
    good = False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.settimeout(5)
            s.connect(sys.argv[1])
            s.send(b"status\0")
            while True:
                p = s.recv(70000)
                if not p or p[:1] == b"x":
                    break
            good = p == b"x0"
    except OSError:
        pass
    d = (time.monotonic() - t) * 1000
    n += 1
    worst = max(worst, d)
    slow += not good or d >= 100
    time.sleep(0.2)
print(n, slow, int(worst))
PY
}

t0=$(ms)
n0=$(ticks)
probe_status "$STALL_S" >"$T/probe" &
PROBE=$!
T_PIDS="$T_PIDS $PROBE"
failed=0
zombies=""
while [ $(( $(ms) - t0 )) -lt $((STALL_S * 1000)) ]; do
        ctl status >/dev/null 2>&1 || failed=$((failed + 1))
        zombies="$zombies$(lingering_zombies)"
        sleep 0.5
done
n1=$(ticks)
wait "$PROBE"
read -r asked slow worst <"$T/probe"
diag "flap started $((n1 - n0)) times in ${STALL_S} s; $asked status requests, slowest ${worst} ms"
[ $((n1 - n0)) -ge 80 ]
ok $? "the service restarting every 100 ms restarted at least 80 times in ${STALL_S} s ($((n1 - n0)))"
[ "${asked:-0}" -ge 20 ] && [ "$slow" = 0 ]
ok $? "the control socket answered status in under 100 ms every time ($asked requests, slowest $worst ms)"
is "$failed" 0 "corralctl status answered every time"
is "$zombies" "" "no zombie stayed unreaped"

# The reader starts: everything corral held back comes out.
cat <"$T/console" >"$T/out" &
CAT=$!
T_PIDS="$T_PIDS $CAT"
# Only once it holds the FIFO may the stalled one go: a FIFO without any
# reader would break the console for good (EPIPE).
reading() { [ "$(readlink "/proc/$CAT/fd/0")" = "$T/console" ]; }
wait_for 10000 reading
kill "$HOLD"
wait "$HOLD" 2>/dev/null
flood_done() { grep -q "seq=$(printf %08d $((FLOOD_LINES - 1)))" "$T/out"; }
wait_for 60000 flood_done
ok $? "once read, the console delivered the whole flood"
ctl shutdown >/dev/null 2>&1
wait_corral 20000
is "$RC" 0 "corral shut down on request"
wait_for 10000 not_running "$CAT"
wait "$CAT" 2>/dev/null

awk -v want="$FLOOD_LINES" '
        /^flood\| / {
                if (length($0) != 120 || substr($0, 8, 4) != "seq=" || substr($0, 12, 8) + 0 != n) bad++
                n++
                next
        }
        /^corral: (error|warn|info|debug): / {
                if ($0 ~ /flood\||seq=|corral: .*corral: /) bad++
                own++
                next
        }
        { bad++; if (bad < 5) print "# stray: " substr($0, 1, 200) >"/dev/stderr" }
        END { printf "flood %d bad %d own %d\n", n, bad, own }' "$T/out" >"$T/check" 2>"$T/stray"
read -r _ n _ bad _ own <"$T/check"
cat "$T/stray"
is "$n" "$FLOOD_LINES" "every line of the flood arrived, in order"
is "$bad" 0 "no line was cut, and none of corral's lines was spliced into another"
[ "$own" -ge 80 ]
ok $? "corral's own lines of the stall arrived too ($own)"

done_testing
