#!/bin/sh
# corral with --cgroup-root on this machine's own cgroup2 mount (as root):
# a test root is made under the mount, a process planted in it, and corral
# must move itself and that process into init, start each service in its
# leaf, remove every cgroup it made but init at shutdown, and refuse a
# limit whose controller the root does not offer, creating nothing; and
# run a service again after each kill by cgroup.
: "${CORRAL:?CORRAL must name the corral binary}"
: "${HELPER:?HELPER must name corral-testhelper}"
: "${CORRALCTL:?CORRALCTL must name the corralctl binary}"

n=0
failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
is() { if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; printf '  got %s, want %s\n' "'$1'" "'$2'" | sed 's/^/# /'; fi; }
like() { if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else ok 1 "$3"; echo "#   '$1' does not match '$2'"; fi; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds or time is up.
wait_for() {
        end=$(($(date +%s) + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -lt "$end" ] || return 1
                sleep 0.05
        done
}

[ "$(id -u)" = 0 ] || skip_all "needs root"
mnt=$(grep ' - cgroup2 ' /proc/self/mountinfo | head -1 | cut -d' ' -f5)
[ -n "$mnt" ] || skip_all "no cgroup2 mount"
rel=/corral-test-$$
T=$mnt$rel
mkdir "$T" 2>/dev/null || skip_all "cannot make a cgroup under $mnt"
tmp=$(mktemp -d /tmp/corral-cgroup.XXXXXX)
planted=
cpid=
cleanup() {
        [ -n "$cpid" ] && kill -KILL "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
        [ -n "$planted" ] && kill -KILL "$planted" 2>/dev/null && wait "$planted" 2>/dev/null
        # Services of a corral that was killed outlive it: end the whole test
        # tree.  A killed process leaves its cgroup as it exits: poll, with a
        # deadline.
        [ -e "$T/cgroup.kill" ] && echo 1 >"$T/cgroup.kill" 2>/dev/null
        for d in "$T"/grp/b "$T"/grp "$T"/a "$T"/h "$T"/t "$T"/k "$T"/init "$T"; do
                [ -d "$d" ] && wait_for 5 rmdir "$d"
        done
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$tmp/pod.conf" <<CONF
services = (
  { name = "a"; command = [ "/bin/sh", "-c", "cat /proc/self/cgroup; exec $HELPER sleep-forever" ]; },
  { name = "b"; command = [ "/bin/sh", "-c", "cat /proc/self/cgroup; exec $HELPER sleep-forever" ];
    cgroup = { path = "grp/b"; }; }
);
CONF
cat >"$tmp/mem.conf" <<CONF
services = (
  { name = "m"; command = [ "$HELPER", "sleep-forever" ];
    cgroup = { memory_max = "16M"; }; }
);
CONF

"$CORRAL" --check -c "$tmp/pod.conf" --cgroup-root "$T" >"$tmp/check" 2>&1
is "$?" 0 "--check exits 0"
like "$(cat "$tmp/check")" "^  init  \(corral\)$" "--check shows init holding corral"
like "$(cat "$tmp/check")" "^    b  \(service b\)$" "--check shows the leaf grp/b"
is "$(ls -d "$T"/*/ 2>/dev/null)" "" "--check creates no cgroup"

sleep 1000 &
planted=$!
echo "$planted" >"$T/cgroup.procs"
"$CORRAL" -c "$tmp/pod.conf" --cgroup-root "$T" --run-dir "$tmp/run" >"$tmp/out" 2>"$tmp/err" &
cpid=$!
wait_for 20 grep -q "^b| " "$tmp/out"
wait_for 20 grep -q "^a| " "$tmp/out"
is "$(grep '^a| ' "$tmp/out" | grep '^a| 0::')" "a| 0::$rel/a" "service a runs in its leaf"
is "$(grep '^b| ' "$tmp/out" | grep '^b| 0::')" "b| 0::$rel/grp/b" "service b runs in its leaf grp/b"
grep -qx "$cpid" "$T/init/cgroup.procs"
ok $? "init holds corral"
grep -qx "$planted" "$T/init/cgroup.procs"
ok $? "the process planted in the root was moved into init"
is "$(cat "$T/cgroup.procs")" "" "the root holds no process"
like "$("$CORRALCTL" -s "$tmp/run/control" status b --json)" '"cgroup":"grp/b"' "status shows the leaf of b"
kill -TERM "$cpid"
wait "$cpid"
is "$?" 0 "corral exits 0 after SIGTERM"
cpid=
is "$(cd "$T" && for d in *; do [ -d "$d" ] && echo "$d"; done)" "init" "after shutdown only init is left"
[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"

# A leaf emptied by cgroup.kill takes the next run too: on kernels where
# clone3(CLONE_INTO_CGROUP) into a cgroup killed before is SIGKILLed (6.18),
# each later run would die before exec.  Every run appends a line, so the
# count of lines is the count of runs that really executed.
cat >"$tmp/kill.conf" <<CONF
services = (
  { name = "h"; command = [ "$HELPER", "ignore-term", "$tmp/h.runs" ];
    restart_delay_ms = 50; restart_delay_max_ms = 50; start_limit = { burst = 1000; interval_ms = 1000; };
    health = { exec = [ "/bin/false" ]; interval_ms = 100; failures = 1; }; },
  { name = "t"; command = [ "$HELPER", "ignore-term", "$tmp/t.runs" ]; stop_timeout_ms = 200; },
  { name = "k"; command = [ "/bin/sh", "-c", "echo run >>$tmp/k.runs; $HELPER sleep-forever & exec $HELPER sleep-forever" ];
    restart_delay_ms = 50; }
);
CONF
runs() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
at_least() { [ "$(runs "$1")" -ge "$2" ]; }
"$CORRAL" -c "$tmp/kill.conf" --cgroup-root "$T" --run-dir "$tmp/run" >"$tmp/out" 2>"$tmp/err" &
cpid=$!
wait_for 60 at_least "$tmp/h.runs" 4
ok $? "a service killed by its health check runs again, 3 times (runs: $(runs "$tmp/h.runs"))"
wait_for 20 at_least "$tmp/t.runs" 1
"$CORRALCTL" -s "$tmp/run/control" stop h >/dev/null 2>&1
for i in 1 2 3; do
        "$CORRALCTL" -s "$tmp/run/control" restart t >/dev/null 2>&1
        wait_for 20 at_least "$tmp/t.runs" $((i + 1))
        ok $? "restart $i of a service killed at its stop timeout: the next run executes (runs: $(runs "$tmp/t.runs"))"
done
like "$(cat "$tmp/err")" "service \"t\": still running after its stop timeout: SIGKILL" "t was killed at its stop timeout"
# corralctl kill ends the main process only: its child is killed by cgroup.
wait_for 20 at_least "$tmp/k.runs" 1
for i in 1 2 3; do
        "$CORRALCTL" -s "$tmp/run/control" kill k KILL >/dev/null 2>&1
        wait_for 20 at_least "$tmp/k.runs" $((i + 1))
        ok $? "corralctl kill $i, the rest killed by cgroup: the next run executes (runs: $(runs "$tmp/k.runs"))"
done
kill -TERM "$cpid"
wait "$cpid"
is "$?" 0 "corral exits 0 after SIGTERM"
cpid=
is "$(cd "$T" && for d in *; do [ -d "$d" ] && echo "$d"; done)" "init" "after shutdown only init is left"

"$CORRAL" -c "$tmp/mem.conf" --cgroup-root "$T" >"$tmp/out" 2>"$tmp/err"
is "$?" 2 "memory_max on a root without memory: exit 2"
like "$(cat "$tmp/err")" "mem.conf:[0-9]+: service \"m\": memory_max: cannot enable memory: not offered by $T \(offers: [a-z ]*\)" \
        "the error names the place, the service, the key and what the root offers"
is "$(cd "$T" && for d in *; do [ -d "$d" ] && echo "$d"; done)" "init" "and creates nothing"

echo "1..$n"
[ "$failed" -eq 0 ]
