#!/bin/bash
# corral started with fds 0, 1 and 2 closed (SPEC 10): it puts /dev/null
# there before it opens anything, so none of its own fds (the host's / it
# keeps for starting children, cgroup directories, sockets) lands on 0-2,
# and no service receives an fd it was not given.  Every service lists
# /proc/self/fd, in each output mode, with and without a root of its own.
. "$(dirname "$0")/lib.sh" || exit 1
require_ns

CGMNT=$(grep ' - cgroup2 ' /proc/self/mountinfo | head -1 | cut -d' ' -f5)
CG=
fds_cleanup() {
        if [ -n "$CG" ]; then
                for d in $(find "$CG" -mindepth 1 -type d 2>/dev/null | sort -r) "$CG"; do
                        wait_for 5000 rmdir "$d" 2>/dev/null
                done
        fi
        cleanup
}
trap fds_cleanup EXIT
cgargs=()
if [ -n "$CGMNT" ] && mkdir "$CGMNT/corral-fds-$$" 2>/dev/null; then
        CG=$CGMNT/corral-fds-$$
        cgargs=(--cgroup-root "$CG")
fi

# A root of its own: the host's /usr (read-only) and this helper, nothing else.
R=$T/rootfs
mkdir -p "$R/usr" "$R/out" "$R/proc" "$R/dev" "$R/tmp" "$T/lists"
for l in bin lib lib64 sbin; do ln -s "usr/$l" "$R/$l"; done
: >"$R/helper"

MODES="console inherit null file"
{
        echo 'settings = { cgroups = "optional"; };'
        echo 'services = ('
        # Keeps the pod up once the others are done.
        printf '  { name = "keep"; output = "null"; command = [ "%s", "sleep-forever" ]; }' "$HELPER"
        sep=$',\n'
        for m in $MODES; do
                out=$m
                [ "$m" = file ] && out=file:$T/$m.log
                printf '%s  { name = "host-%s"; type = "oneshot"; output = "%s";\n' "$sep" "$m" "$out"
                printf '    command = [ "%s", "list-fds", "%s/lists/host-%s" ]; }' "$HELPER" "$T" "$m"
                printf '%s  { name = "root-%s"; type = "oneshot"; output = "%s";\n' "$sep" "$m" "$out"
                printf '    root = { path = "%s"; };\n' "$R"
                printf '    binds = ( { source = "/usr"; target = "/usr"; readonly = true; },\n'
                printf '              { source = "%s"; target = "/helper"; readonly = true; },\n' "$HELPER"
                printf '              { source = "%s/lists"; target = "/out"; } );\n' "$T"
                printf '    command = [ "/helper", "list-fds", "/out/root-%s" ]; }' "$m"
        done
        printf '\n);\n'
} >"$T/pod.conf"

mkdir -p "$T/run"
# corral itself gets no 0, 1, 2: the shell closes them and execs it.
unshare --pid --fork --mount-proc --kill-child=SIGKILL \
        /bin/sh -c 'exec "$0" "$@" <&- >&- 2>&-' "$CORRAL" --run-dir "$T/run" -c "$T/pod.conf" "${cgargs[@]}" \
        >"$T/out" 2>"$T/err" &
UPID=$!
T_PIDS="$T_PIDS $UPID"
wait_for 20000 find_cpid
ok $? "corral runs with 0, 1 and 2 closed"

all_listed() {
        for m in $MODES; do
                [ -s "$T/lists/host-$m" ] && [ -s "$T/lists/root-$m" ] || return 1
        done
}
wait_for 30000 all_listed
ok $? "every service ran and listed its fds"

for i in 0 1 2; do
        is "$(readlink "/proc/$CPID/fd/$i")" /dev/null "corral's own fd $i is /dev/null"
done

for m in $MODES; do
        for where in host root; do
                f=$T/lists/$where-$m
                is "$(cut -d' ' -f1 "$f" 2>/dev/null | sort -n | tr '\n' ' ')" "0 1 2 " \
                        "$where, output $m: the service has fds 0, 1 and 2 only"
                bad=$(grep -Ev '^[0-2] (/dev/null|pipe:\[[0-9]+\])$' "$f" 2>/dev/null)
                is "$bad" "" "$where, output $m: each is /dev/null or its output pipe"
        done
done
is "$(cut -d' ' -f2 "$T/lists/host-inherit" | sort -u)" /dev/null "inherit passes corral's 0, 1, 2: /dev/null"

kill -TERM "$CPID"
wait_corral 20000
is "$RC" 0 "corral stops on SIGTERM"
done_testing
