#!/bin/bash
# corralctl exec runs as the service runs (runc exec applies the
# container's process spec): the same uid, gid, supplementary groups,
# capability sets, no_new_privs, rlimits and working directory as the
# service's own process, read from /proc/PID/status, limits and cwd of
# both; into a service with a user namespace it is uid 0 there, as the
# service is.  A command the service planted in its own root runs with
# the service's privileges only.  corralctl started with stdout closed
# passes no fd of its own to the command.  Exec health probes run the
# same way, as the service runs.  A file probe looks in the service's own
# root.
#
# With "noptrace", corral runs as a container's root usually does, without
# CAP_SYS_PTRACE (Docker's default set): the kernel then lets it reach the
# namespace files of a process of another user only with that user's fs
# ids, and all of the above must hold still.
. "$(dirname "$0")/lib.sh" || exit 1
WRAP=
CHECKED="svc uns planted rooted"
if [ "${1:-}" = noptrace ]; then
        command -v setpriv >/dev/null || skip_all "setpriv not available"
        WRAP="setpriv --bounding-set -sys_ptrace --"
        # uns's pid 1 is corral's own fork, which changed its ids in the
        # user namespace: the kernel makes such a process undumpable, and
        # only CAP_SYS_PTRACE reaches its namespace files then.
        CHECKED="svc planted rooted"
fi
require_ns
require_python
H=$HELPER
BB=$(command -v busybox) || skip_all "needs busybox-static"
file "$BB" 2>/dev/null | grep -q static || [ -n "$(ldd "$BB" 2>&1 | grep -i 'not a dynamic')" ] ||
        skip_all "busybox is not static"

# The services write here as their own users.
chmod 0755 "$T"
mkdir -m 0777 "$T/o"
mkdir -p "$T/wd" && chown 4242:4242 "$T/wd" && chmod 0700 "$T/wd"
# A user with two supplementary groups, in corral's mount namespace only.
cp /etc/passwd "$T/passwd"
cp /etc/group "$T/group"
echo "svc:x:4242:4242::/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
printf 'svc:x:4242:\nsvca:x:4243:svc\nsvcb:x:4244:svc\n' >>"$T/group"
# A root of its own whose /bin/sh the service could have replaced.
R=$T/rootfs
mkdir -p "$R/bin" "$R/o" "$R/proc" "$R/dev" "$R/tmp"
cp "$BB" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
ln -s busybox "$R/bin/grep"
: >"$R/only-in-root"

# What a process is, as the lines compared: its status lines about
# identity, its limits, its working directory, its namespaces, each file
# renamed into place once whole (a probe records again every 500 ms while
# the test reads).  (no double quotes: these go inside
# libconfig strings)
ID="grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/\$\$/status >OUT.status.tmp;"\
' cat /proc/$$/limits >OUT.limits.tmp; readlink /proc/$$/cwd >OUT.cwd.tmp;'\
' for n in user mnt pid net uts ipc cgroup; do echo $n $(readlink /proc/$$/ns/$n); done >OUT.ns.tmp;'\
' for f in status limits cwd ns; do mv OUT.$f.tmp OUT.$f; done'
id_of() { echo "${ID//OUT/$1}"; }

cat >"$T/pod.conf" <<CONF
services = (
  { name = "svc"; user = "svc"; workdir = "$T/wd";
    capabilities = [ "CAP_NET_BIND_SERVICE" ];
    rlimits = { nofile = ( 256, 512 ); core = 0; };
    command = [ "/bin/sh", "-c", "$(id_of "$T/o/svc"); exec $H sleep-forever" ];
    health = { exec = [ "/bin/sh", "-c", "$(id_of "$T/o/probe-svc")" ]; interval_ms = 500; failures = 1000; }; },
  { name = "uns"; workdir = "/tmp";
    namespaces = { user = true; uid_map = "0 200000 65536"; gid_map = "0 200000 65536"; pid = true; mount = true; };
    rlimits = { nofile = 300; };
    command = [ "/bin/sh", "-c", "$(id_of "$T/o/uns"); exec $H sleep-forever" ];
    health = { exec = [ "/bin/sh", "-c", "$(id_of "$T/o/probe-uns")" ]; interval_ms = 500; failures = 1000; }; },
  { name = "planted"; capabilities = [ "CAP_NET_BIND_SERVICE" ];
    root = { path = "$R"; }; binds = ( { source = "$T/o"; target = "/o"; } );
    command = [ "/bin/sh", "-c", "$(id_of /o/planted); exec /bin/busybox sleep 1000" ];
    health = { exec = [ "/bin/sh", "-c", "$(id_of /o/probe-planted)" ]; interval_ms = 500; failures = 1000; }; },
  { name = "rooted"; user = "svc";
    root = { path = "$R"; }; binds = ( { source = "$T/o"; target = "/o"; } );
    command = [ "/bin/sh", "-c", "$(id_of /o/rooted); exec /bin/busybox sleep 1000" ];
    ready = { file = "/only-in-root"; interval_ms = 100; timeout_ms = 20000; };
    health = { exec = [ "/bin/sh", "-c", "$(id_of /o/probe-rooted)" ]; interval_ms = 500; failures = 1000; }; }
);
CONF

mkdir -p "$T/run"
unshare --pid --fork --mount-proc --kill-child=SIGKILL /bin/sh -c \
        'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@"' \
        sh "$T/passwd" "$T/group" $WRAP "$CORRAL" --run-dir "$T/run" -c "$T/pod.conf" >"$T/out" 2>"$T/err" &
UPID=$!
T_PIDS="$T_PIDS $UPID"
wait_for 20000 find_cpid
wait_for 10000 socket_up
ok $? "corral is up"
all_written() { for s in svc uns planted rooted; do [ -s "$T/o/$s.ns" ] || return 1; done; }
wait_for 20000 all_written
ok $? "every service recorded what it is"
all_written || diag "$(cat "$T/err")"

# exec_as NAME: run the same recording through corralctl exec.
exec_as() {
        local out=$T/o/exec-$1
        case $1 in planted | rooted) out=/o/exec-$1 ;; esac
        ctl exec "$1" -- /bin/sh -c "$(id_of "$out")"
}

case $CHECKED in *uns*) ;; *) echo "ok $((T_N += 1)) - uns: exec and probes # SKIP need CAP_SYS_PTRACE: the service's pid 1 is undumpable" ;; esac
for s in $CHECKED; do
        exec_as "$s"
        is "$?" 0 "$s: exec ran"
        is "$(cat "$T/o/exec-$s.status" 2>/dev/null)" "$(cat "$T/o/$s.status")" \
                "$s: ids, groups, capabilities and no_new_privs of exec are the service's"
        is "$(cat "$T/o/exec-$s.limits" 2>/dev/null)" "$(cat "$T/o/$s.limits")" "$s: rlimits of exec are the service's"
        is "$(cat "$T/o/exec-$s.cwd" 2>/dev/null)" "$(cat "$T/o/$s.cwd")" "$s: exec starts in the service's workdir"
        is "$(cat "$T/o/exec-$s.ns" 2>/dev/null)" "$(cat "$T/o/$s.ns")" "$s: exec is in the service's namespaces"
done
grep -q '^Groups:.*4243.*4244' "$T/o/exec-svc.status" && grep -q '^CapEff:.*0000000000000400' "$T/o/exec-svc.status"
ok $? "svc: exec has the user's supplementary groups and CAP_NET_BIND_SERVICE only"
if [ "$CHECKED" != "${CHECKED#*uns}" ]; then
        grep -qP '^Uid:\t0\t0\t0\t0$' "$T/o/exec-uns.status"
        ok $? "uns: exec is uid 0 in the service's user namespace, as the service is"
fi
grep -q '^CapEff:.*0000000000000400' "$T/o/exec-planted.status" && grep -qP '^NoNewPrivs:\t1' "$T/o/exec-planted.status"
ok $? "planted: the service's own /bin/sh runs with the service's capabilities, no_new_privs set"

# rooted is ready once its file probe has seen a file of its root only.
wait_for 20000 state_is rooted ready
ok $? "rooted: the file probe looks in the service's root, as the service's user"
grep -qP '^Uid:\t4242\t4242\t4242\t4242$' "$T/o/exec-rooted.status"
ok $? "rooted: exec is uid 4242 in the service's root"

# Health probes: the same recording, by corral at each interval.
probes_written() { for s in $CHECKED; do [ -s "$T/o/probe-$s.ns" ] || return 1; done; }
wait_for 30000 probes_written
ok $? "every service's health probe recorded what it is"
for s in $CHECKED; do
        for f in status limits cwd ns; do
                is "$(cat "$T/o/probe-$s.$f" 2>/dev/null)" "$(cat "$T/o/$s.$f")" "$s: the probe's $f is the service's"
        done
done
grep -q '^CapEff:.*0000000000000400' "$T/o/probe-planted.status" && grep -qP '^NoNewPrivs:\t1' "$T/o/probe-planted.status"
ok $? "planted: a probe runs the service's own /bin/sh with the service's capabilities only"

ctl exec svc -- /nonexistent >/dev/null 2>"$T/e"
is "$?" 127 "exec of a missing command exits 127"
grep -q 'exec /nonexistent: No such file or directory' "$T/e"
ok $? "and names it"
: >"$T/o/noexec"
chmod 0644 "$T/o/noexec"
ctl exec svc -- "$T/o/noexec" >/dev/null 2>&1
is "$?" 126 "exec of a file that is not executable exits 126"

# corralctl's own connection must not become the command's stdout.
ctl exec svc -- "$H" list-fds "$T/o/closed-fds" >&-
is "$(cut -d' ' -f1 "$T/o/closed-fds" 2>/dev/null | sort -n | tr '\n' ' ')" "0 1 2 " \
        "corralctl with stdout closed: the command has fds 0, 1 and 2"
grep -q socket "$T/o/closed-fds"
is "$?" 1 "and none of them is corralctl's socket"

shutdown_corral
is "$RC" 0 "shutdown"
done_testing
