#!/bin/bash
# The control socket cannot be filled: twenty idle clients hold connections
# while a burst of a hundred clients connects at once (without waiting in
# connect(2)) and asks for status; every one is answered, corralctl works
# meanwhile, and the idle ones are closed once their time is up.
. "$(dirname "$0")/lib.sh"
require_ns
require_python

cat >"$T/conns.conf" <<CONF
services = ( { name = "idle"; command = [ "$HELPER", "sleep-forever" ]; } );
CONF
start_corral -c "$T/conns.conf"
wait_for 10000 socket_up
ok $? "corral is up"

"$PY" - "$T/run/control" "$T/idle.out" <<'PY' &
# Twenty clients that connect and never send a thing; each line says when
# corral closed one (seconds after it connected).
import socket, sys, time, select
conns = []
for _ in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    conns.append(s)
t0 = time.monotonic()
open(sys.argv[2] + ".ready", "w").close()
closed = {}
while len(closed) < len(conns) and time.monotonic() - t0 < 60:
    r, _, _ = select.select([c for c in conns if c not in closed], [], [], 1)
    for c in r:
        try:
            d = c.recv(100)
        except OSError:
            d = b""
        if not d:
            closed[c] = time.monotonic() - t0
with open(sys.argv[2], "w") as f:
    for c in conns:
        f.write("%s\n" % ("%.1f" % closed[c] if c in closed else "open"))
PY
IDLE=$!
T_PIDS="$T_PIDS $IDLE"
wait_for 10000 test -e "$T/idle.out.ready"
ok $? "twenty idle clients are connected"

"$PY" - "$T/run/control" >"$T/burst.out" <<'PY'
# A hundred clients connect at once, non-blocking: none may be turned away
# (EAGAIN), and each gets a whole status answer.
import socket, sys, select, time
socks, refused = [], 0
for _ in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
        socks.append(s)
    except BlockingIOError:
        refused += 1
for s in socks:
    s.setblocking(True)
    s.settimeout(20)
    try:
        s.send(b"status\0")
    except OSError:
        pass
answered = 0
for s in socks:
    try:
        out = b""
        while True:
            p = s.recv(70000)
            if not p:
                break
            if p[:1] == b"o":
                out += p[1:]
            if p[:1] == b"x":
                if p == b"x0" and b"idle" in out:
                    answered += 1
                break
    except OSError:
        pass
print(len(socks), refused, answered)
PY
read -r connected refused answered <"$T/burst.out"
is "$refused" 0 "a burst of 100 clients: none turned away at connect"
is "$answered" 100 "... and every one of them answered"

pids=""
for i in $(seq 1 100); do
        ( ctl status >/dev/null 2>&1; echo $? >"$T/ctl.$i" ) &
        pids="$pids $!"
done
wait $pids
good=$(cat "$T"/ctl.* | grep -c '^0$')
is "$good" 100 "100 concurrent corralctl status: all exit 0"

wait "$IDLE"
T_PIDS=$(echo "$T_PIDS" | sed "s/ $IDLE\b//")
closed=$(grep -vc open "$T/idle.out")
is "$closed" 20 "corral closed every idle connection"
late=$(awk '$1 != "open" && ($1 < 4 || $1 > 20)' "$T/idle.out" | wc -l)
is "$late" 0 "... after its idle time, not before ($(sort -u "$T/idle.out" | tr '\n' ' '))"
ctl status >/dev/null
is $? 0 "corralctl still works"
shutdown_corral
is "$RC" 0 "corral shut down"

done_testing
