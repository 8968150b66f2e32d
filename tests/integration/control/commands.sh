#!/bin/bash
# Every corralctl command against a running corral (PID 1 of a PID
# namespace): status (table and JSON with exactly the keys of SPEC 6),
# start, stop, restart, kill, logs, check, reopen, exec, shutdown; unknown
# services, a refused peer, garbage on the socket, a dead socket.
. "$(dirname "$0")/lib.sh"
require_ns
require_python
H=$HELPER

cat >"$T/pod.conf" <<CONF
services = (
  { name = "db"; command = [ "$H", "signal-report" ]; },
  { name = "web"; command = [ "/bin/sh", "-c", "echo line-one; echo line-two; echo line-three; exec $H sleep-forever" ];
    after = [ "db" ]; },
  { name = "filer"; command = [ "/bin/sh", "-c", "while :; do echo tick; sleep 0.2; done" ];
    output = "file:$T/filer.log"; },
  { name = "once"; type = "oneshot"; command = [ "/bin/true" ]; }
);
CONF
start_corral -c "$T/pod.conf"
wait_for 5000 socket_up
ok $? "the control socket answers"
is "$(stat -c %a "$T/run/control")" 600 "the control socket is mode 0600"
is "$(stat -c %a "$T/run")" 755 "the run dir is mode 0755"
wait_for 5000 state_is web ready
ok $? "web is ready"

ctl status >"$T/st.txt"
is $? 0 "status exits 0"
grep -q '^db  *ready  *yes' "$T/st.txt" && grep -q '^once  *exited' "$T/st.txt"
ok $? "status table shows states and readiness"

ctl status --json >"$T/st.json"
"$PY" - "$T/st.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d.keys()) == ["services"], d.keys()
want = {"name", "state", "pid", "uptime_ms", "restarts", "last_exit", "ready", "cgroup",
        "memory_current", "memory_max", "oom_kills"}
by = {s["name"]: s for s in d["services"]}
for s in d["services"]:
    assert set(s.keys()) == want, s.keys()
assert by["db"]["state"] == "ready" and isinstance(by["db"]["pid"], int) and by["db"]["ready"] is True
assert by["once"]["pid"] is None and by["once"]["last_exit"] == {"code": 0}, by["once"]
assert by["db"]["last_exit"] is None and by["db"]["memory_max"] is None
# no --cgroup-root and no delegated cgroup here: corral runs without cgroups
assert by["db"]["cgroup"] is None, by["db"]["cgroup"]
assert isinstance(by["web"]["uptime_ms"], int) and by["web"]["restarts"] == 0
PYEOF
ok $? "status --json: one object, every service with exactly the keys of SPEC 6"
ctl status db --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert [s["name"] for s in d["services"]]==["db"]'
ok $? "status NAME --json shows that service only"

ctl status nosuch >/dev/null 2>"$T/e"
is $? 2 "status of an unknown service exits 2"
grep -q 'no service "nosuch"' "$T/e"
ok $? "and names it"
for c in start stop restart check logs; do
        ctl $c nosuch >/dev/null 2>&1
        is $? 2 "$c of an unknown service exits 2"
done
ctl kill nosuch TERM >/dev/null 2>&1
is $? 2 "kill of an unknown service exits 2"

# logs
ctl logs web >"$T/logs"
is "$(cat "$T/logs")" "$(printf 'line-one\nline-two\nline-three')" "logs: the lines kept in memory"
is "$(ctl logs web -n 1)" "line-three" "logs -n 1: the last line"

# check
ctl check web >/dev/null
is $? 0 "check of a ready service exits 0"
ctl check once >/dev/null
is $? 1 "check of a finished oneshot exits 1 (not running)"

# kill: by name, by number, with the SIG prefix
ctl kill db USR1 && wait_for 3000 file_has "$T/out" 'db| SIGUSR1'
ok $? "kill db USR1 reaches the service"
ctl kill db 12 && wait_for 3000 file_has "$T/out" 'db| SIGUSR2'
ok $? "kill db 12 reaches it too"
ctl kill db NOPE >/dev/null 2>&1
is $? 2 "kill with a bad signal is a usage error"

# stop, start, restart
dbpid=$(pid_of db)
ctl stop web && wait_for 5000 state_is web stopped
ok $? "stop web: stopped"
ctl check web >/dev/null 2>&1
is $? 1 "check of a stopped service exits 1"
kill -0 "$CPID" 2>/dev/null
ok $? "corral keeps running with a service stopped by the operator"
ctl start web && wait_for 5000 state_is web ready
ok $? "start web: ready again"
ctl restart db && wait_for 5000 pid_changed db "$dbpid"
ok $? "restart db: a new pid"
wait_for 5000 state_is db ready
ok $? "and ready"
file_has "$T/err" 'service "db": stopped'
ok $? "the restart stopped the old process first"

# reopen: logrotate moves the file away, reopen makes a new one
wait_for 5000 file_has "$T/filer.log" tick
ok $? "file output written"
mv "$T/filer.log" "$T/filer.log.1"
ctl reopen
is $? 0 "reopen exits 0"
wait_for 5000 file_has "$T/filer.log" tick
ok $? "reopen: output goes to a new file"

# exec: inside the service, with the client's stdio, its exit status
out=$(ctl exec web -- /bin/sh -c 'echo "in $$"; cat; exit 7' <<<"from-stdin")
rc=$?
is "$rc" 7 "exec: corralctl exits with the command's status"
echo "$out" | grep -q '^in [0-9]' && echo "$out" | grep -q from-stdin
ok $? "exec: the command's stdout and stdin are the client's"
ctl exec web -- /nonexistent >/dev/null 2>&1
is $? 127 "exec of a missing command exits 127"
ctl exec once -- /bin/true >/dev/null 2>&1
is $? 1 "exec into a service that is not running exits 1"

# A non-root peer: the file mode lets it in, SO_PEERCRED refuses it.
chmod 0777 "$T/run/control"
chmod 0755 "$T"
setpriv --reuid=65534 --regid=65534 --clear-groups "$CORRALCTL" -s "$T/run/control" status >/dev/null 2>"$T/denied"
is $? 4 "a peer that is neither root nor corral's uid is refused (exit 4)"
grep -q 'permission denied' "$T/denied"
ok $? "with a message"
setpriv --reuid=65534 --regid=65534 --clear-groups "$CORRALCTL" -s "$T/run/control" shutdown >/dev/null 2>&1
kill -0 "$CPID" 2>/dev/null && state_is db ready
ok $? "a refused shutdown changes nothing"
chmod 0600 "$T/run/control"

# Garbage on the socket: answered with an error, corral keeps running.
r=$("$PY" "$CH" raw "$T/run/control" "00ff00fe8081")
echo "$r" | grep -q "b'x2'"
ok $? "binary garbage: usage error ($r)"
r=$("$PY" "$CH" raw "$T/run/control" "737461747573")   # "status" without its NUL
echo "$r" | grep -q "b'x"
ok $? "a truncated request gets an answer ($r)"
r=$("$PY" "$CH" big "$T/run/control" 200000)
echo "$r" | grep -q "b'x2'" && echo "$r" | grep -q 'too large'
ok $? "an oversized request: too large"
r=$("$PY" "$CH" raw "$T/run/control" "6b696c6c00646200")   # kill db (no signal)
echo "$r" | grep -q "b'x2'"
ok $? "kill without a signal: usage error"
ctl status >/dev/null && kill -0 "$CPID"
ok $? "corral still answers after the garbage"

# A second corral given the same run dir leaves the first one's socket alone.
unshare --pid --fork --mount-proc --kill-child=SIGKILL "$CORRAL" --run-dir "$T/run" -- "$HELPER" exit 0 \
        >/dev/null 2>"$T/second"
grep -q 'another corral answers there' "$T/second" && ctl status db >/dev/null
ok $? "a second corral on the same run dir warns and the first keeps its socket"

# shutdown
ctl shutdown >/dev/null
is $? 0 "shutdown exits 0"
wait_corral 10000
is "$RC" 0 "corral ends with 0 after shutdown"
ctl status >/dev/null 2>&1
is $? 3 "no corral on the socket: exit 3"
done_testing
