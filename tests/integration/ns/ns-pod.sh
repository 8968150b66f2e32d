#!/bin/bash
# Namespaces, pods and roots through the real corral: PID 1 of a new PID
# namespace that shares the host's mount namespace, so the pod pins land in
# this mount table, and after corral stops it must be exactly as before.
. "$(dirname "$0")/../supervise/lib.sh"
require_ns
BB=$(command -v busybox) || skip_all "needs busybox-static"
file "$BB" 2>/dev/null | grep -q static || [ -n "$(ldd "$BB" 2>&1 | grep -i 'not a dynamic')" ] ||
        skip_all "busybox is not static"

# Unmount whatever a failed run left below $T before removing it.
ns_cleanup() {
        awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
                while read -r m; do umount -l "$m"; done
        cleanup
}
trap ns_cleanup EXIT

PORT=$((20000 + $$ % 20000))
mkdir -p "$T/lower/bin" "$T/lower/www" "$T/upper" "$T/work" "$T/rootfs/bin" "$T/robind"
cp "$BB" "$T/lower/bin/busybox"
cp "$BB" "$T/rootfs/bin/busybox"
echo "hello from the pod" >"$T/lower/www/index.html"
mkdir -p "$T/lower2/data" "$T/upper2" "$T/work2"
echo old >"$T/lower2/data/mod"
echo del >"$T/lower2/data/delme"
tree_hash() { (cd "$1" && find . -exec stat -c '%n %f %s %Y' {} + | sort && find . -type f -exec sha256sum {} + | sort); }
lower_before=$(tree_hash "$T/lower"; tree_hash "$T/lower2")

NSINFO='for n in net uts ipc pid mnt; do echo $n=$(readlink /proc/self/ns/$n); done; echo host=$(hostname)'
# (no double quotes: these go inside libconfig strings)
ZOMBIES='for i in 1 2 3 4 5; do (sleep 0.2 &); done; i=0; while [ $i -lt 200 ]; do z=0; n=0;'\
' for f in /proc/[0-9]*/status; do st=$(grep ^State $f 2>/dev/null); nm=$(grep ^Name $f 2>/dev/null);'\
' case $st in *Z*) z=$((z+1));; esac; case $nm in *sleep) n=$((n+1));; esac; done;'\
' [ $n = 0 ] && [ $z = 0 ] && break; sleep 0.02; i=$((i+1)); done; echo left=$n zombies=$z'
cat >"$T/pod.conf" <<CONF
settings = { cgroups = "optional"; shutdown_timeout_ms = 3000; };
groups = ( { path = "pod"; namespaces = { net = true; ipc = true; uts = true; hostname = "podhost"; }; } );
services = (
  { name = "web"; command = [ "/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:$PORT", "-h", "/www" ];
    cgroup = { path = "pod/web"; }; namespaces = { pid = true; };
    root = { overlay = { lower = [ "$T/lower" ]; upper = "$T/upper"; work = "$T/work"; }; }; },
  { name = "client"; type = "oneshot"; cgroup = { path = "pod/client"; };
    command = [ "$BB", "sh", "-c", "i=0; while [ \$i -lt 200 ]; do $BB wget -q -O- http://127.0.0.1:$PORT/index.html >$T/client.out 2>&1 && exit 0; sleep 0.05; i=\$((i+1)); done; exit 1" ]; },
  { name = "outside"; type = "oneshot"; after = [ "client" ];
    command = [ "$BB", "sh", "-c", "$BB wget -q -O- http://127.0.0.1:$PORT/index.html >$T/outside.out 2>&1; echo rc=\$? >>$T/outside.out" ]; },
  { name = "a"; type = "oneshot"; cgroup = { path = "pod/a"; }; command = [ "$BB", "sh", "-c", "($NSINFO) >$T/a.ns" ]; },
  { name = "again"; cgroup = { path = "pod/again"; }; restart = "always"; restart_delay_ms = 50;
    command = [ "$BB", "sh", "-c", "readlink /proc/self/ns/net >>$T/again.ns; [ \$($BB wc -l <$T/again.ns) -ge 3 ] && exec $BB sleep 1000; exit 1" ]; },
  { name = "b"; type = "oneshot"; cgroup = { path = "pod/b"; }; command = [ "$BB", "sh", "-c", "($NSINFO) >$T/b.ns" ]; },
  { name = "solo"; type = "oneshot";
    namespaces = { pid = true; mount = true; net = true; ipc = true; hostname = "solo"; };
    command = [ "$BB", "sh", "-c", "($NSINFO; echo self=\$\$; $ZOMBIES) >$T/solo.ns.tmp; mv $T/solo.ns.tmp $T/solo.ns" ]; },
  { name = "writer"; type = "oneshot";
    root = { overlay = { lower = [ "$T/lower2", "$T/lower" ]; upper = "$T/upper2"; work = "$T/work2"; }; };
    command = [ "/bin/busybox", "sh", "-c", "echo new >/data/new && echo more >>/data/mod && /bin/busybox rm /data/delme" ]; },
  { name = "ro"; type = "oneshot"; root = { path = "$T/rootfs"; readonly = true; };
    binds = ( { source = "$T/robind"; target = "/out"; } );
    command = [ "/bin/busybox", "sh", "-c", "/bin/busybox touch /x 2>/dev/null && echo rw >/out/ro || echo ro >/out/ro" ]; }
);
CONF

# --check: namespaces and the exact mount options, nothing changed.
"$CORRAL" --check -c "$T/pod.conf" --run-dir "$T/run" >"$T/check.out" 2>&1
rc=$?
is "$rc" 0 "--check accepts the pod"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/check.out"
grep -qF "mount overlay on / -o lowerdir=$T/lower,upperdir=$T/upper,workdir=$T/work" "$T/check.out"
ok $? "--check prints the overlay's exact option string"
grep -qF "joins net of group \"pod\" ($T/run/ns/pod/net)" "$T/check.out"
ok $? "--check prints the pod namespaces a service joins"
[ ! -e "$T/run" ]
ok $? "--check made nothing"

before=$(cat /proc/self/mountinfo)
unshare --pid --fork --kill-child=SIGKILL "$CORRAL" --run-dir "$T/run" -c "$T/pod.conf" >"$T/out" 2>"$T/err" &
UPID=$!
T_PIDS="$T_PIDS $UPID"
wait_for 5000 find_cpid
wait_for 10000 file_has "$T/outside.out" "rc=" && wait_for 10000 test -s "$T/solo.ns" &&
        wait_for 5000 test -s "$T/robind/ro" && wait_for 5000 test -s "$T/b.ns"
ok $? "every service ran"

grep -q "hello from the pod" "$T/client.out"
ok $? "busybox httpd in an overlay root answers a pod member on 127.0.0.1"
grep -q "rc=0" "$T/outside.out"
[ $? -ne 0 ]
ok $? "a service outside the pod cannot reach it"

val() { sed -n "s/^$2=//p" "$1"; }
for n in net uts ipc; do
        [ -n "$(val "$T/a.ns" $n)" ] && [ "$(val "$T/a.ns" $n)" = "$(val "$T/b.ns" $n)" ] &&
                [ "$(val "$T/a.ns" $n)" != "$(readlink /proc/$CPID/ns/$n)" ]
        ok $? "$n namespace shared by two pod members, not corral's"
done
is "$(val "$T/a.ns" host)" podhost "the pod's hostname"
wait_for 5000 lines_of "$T/again.ns" 3
is "$(sort -u "$T/again.ns")" "$(val "$T/a.ns" net)" "the pod's net namespace is kept across restarts"
for n in net uts ipc pid mnt; do
        [ -n "$(val "$T/solo.ns" $n)" ] && [ "$(val "$T/solo.ns" $n)" != "$(readlink /proc/$CPID/ns/$n)" ] &&
                [ "$(val "$T/solo.ns" $n)" != "$(val "$T/a.ns" $n)" ]
        ok $? "$n namespace of its own differs from corral's and the pod's"
done
is "$(val "$T/solo.ns" host)" solo "hostname inside"
is "$(val "$T/solo.ns" self)" 2 "the service is pid 2 below corral's init"
grep -q "left=0 zombies=0" "$T/solo.ns"
ok $? "orphans in the service's pid namespace are reaped"
is "$(cat "$T/robind/ro")" ro "a readonly root refuses writes (seen through a rw bind)"
wait_for 5000 test -e "$T/upper2/data/delme"
is "$(cat "$T/upper2/data/new" 2>/dev/null)" new "overlay: a new file lands in upper"
is "$(cat "$T/upper2/data/mod" 2>/dev/null | tr '\n' ' ')" "old more " "overlay: copy-up of a modified lower file"
is "$(stat -c '%F %t:%T' "$T/upper2/data/delme" 2>/dev/null)" "character special file 0:0" \
        "overlay: deleting a lower file leaves a whiteout in upper"
[ "$lower_before" = "$(tree_hash "$T/lower"; tree_hash "$T/lower2")" ]
ok $? "overlay: the lower dirs are unchanged, byte for byte"

grep -qF " $T/run/ns/pod/net " /proc/$CPID/mountinfo
ok $? "the pod's net namespace is pinned in corral's mount table"
is "$(stat -c %a "$T/run/ns" "$T/run/ns/pod" | tr '\n' ' ')" "700 700 " "RUN_DIR/ns and the pod's directory are 0700"
# Any user reaching the run dir (made traversable here) must not be able to
# open a pin, which would hold the pod's namespace.
chmod 0755 "$T"
if command -v setpriv >/dev/null; then
        for n in net ipc uts; do
                setpriv --reuid=65534 --regid=65534 --clear-groups sh -c ": <'$T/run/ns/pod/$n'" 2>/dev/null
                [ $? -ne 0 ]
                ok $? "another user cannot open the pinned $n namespace"
        done
else
        ok 0 "# SKIP no setpriv"
fi
chmod 0700 "$T"
awk -v t="$T/run/root" 'index($5, t) == 1' /proc/$CPID/mountinfo | grep -q .
[ $? -ne 0 ]
ok $? "no service mount leaked to corral's mount table"

kill -TERM "$CPID"
wait_corral 10000
is "$RC" 0 "SIGTERM: orderly shutdown, exit 0"
after=$(cat /proc/self/mountinfo)
[ "$before" = "$after" ]
ok $? "mountinfo is as before corral ran"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | sed 's/^/# /'
[ ! -e "$T/run/ns" ]
ok $? "RUN_DIR/ns removed"

[ "$T_FAILED" -eq 0 ] || { diag "corral's stderr:"; sed 's/^/#   /' "$T/err"; }

# A map the kernel refuses fails the start, naming the service and the map.
cat >"$T/map.conf" <<CONF
services = ( { name = "mapped"; command = [ "$BB", "true" ]; restart = "never";
  namespaces = { user = true; uid_map = "0 4294967295 1"; }; } );
CONF
run_corral 10000 -c "$T/map.conf"
grep -qF 'service "mapped": uid_map "0 4294967295 1": Invalid argument' "$T/err"
ok $? "a uid_map the kernel refuses is reported with the service and the map"
grep -q 'uid_map' "$T/err" || sed 's/^/#   /' "$T/err"

# A service killed by a signal inside its own PID namespace ends by that
# signal for corral too (its init leaves the status where corral reads
# it), not by the code 128+N the init has to exit with: with restart =
# "on-failure", death by the stop signal is no failure, death by another
# signal is; as main service, corral exits 128+N as for any killed main.
cat >"$T/sig.conf" <<CONF
services = (
  { name = "termed"; restart = "on-failure"; namespaces = { pid = true; };
    command = [ "/bin/sh", "-c", "echo run >>$T/termed; kill -TERM \$\$" ]; },
  { name = "app"; main = true; restart = "never"; namespaces = { pid = true; }; after = [ "termed" ];
    command = [ "/bin/sh", "-c", "until grep -q run $T/termed 2>/dev/null; do sleep 0.01; done; sleep 0.2; kill -USR2 \$\$" ]; }
);
CONF
run_corral 10000 -c "$T/sig.conf"
is "$RC" 140 "a main service killed by SIGUSR2 in its pid namespace: corral exits 128+12"
grep -q 'service "termed": ended with signal 15 (TERM)' "$T/err"
ok $? "the service killed by SIGTERM is reported as killed by it"
is "$(grep -c run "$T/termed")" 1 "killed by its stop signal: on-failure does not restart it"
grep -q 'service "app": ended with signal 12 (USR2)' "$T/err"
ok $? "the main service is reported as killed by SIGUSR2"
grep -E 'service "(termed|app)"' "$T/err" | sed 's/^/# /'

# Load errors name the file, the service and the path.
cat >"$T/bad.conf" <<CONF
services = (
  { name = "bad"; command = [ "/bin/sh" ];
    root = { overlay = { lower = [ "$T/nope" ]; }; }; binds = ( { source = "/etc"; target = "/../etc"; } ); }
);
CONF
"$CORRAL" --check -c "$T/bad.conf" >"$T/bad.out" 2>&1
is "$?" 2 "a bad root is a load error"
grep -qE "bad.conf:[0-9]+: service \"bad\": root.overlay.lower: \"$T/nope\": No such file or directory" "$T/bad.out"
ok $? "missing lower dir named with FILE:LINE"
grep -qE "bad.conf:[0-9]+: service \"bad\": binds: target \"/../etc\" is outside the root" "$T/bad.out"
ok $? "bind target outside the root named"
grep -v "^corral" "$T/bad.out" | sed 's/^/# /'
done_testing
