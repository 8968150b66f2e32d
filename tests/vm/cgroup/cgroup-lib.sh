# The cgroup module itself on a kernel with every v2 controller, driven by
# /bin/cgroup-check: once as PID 1 of a PID namespace whose cgroup was
# delegated to it (with a process planted in that cgroup first), once on
# the machine's top cgroup (where kernel threads stay behind).
. /lib/vmtest.sh

# run CMD...: CMD's "ok"/"not ok" lines become results, the rest
# diagnostics, as they come; returns CMD's exit status.
run() {
        { "$@"; echo $? >/tmp/check.rc; } 2>&1 | while IFS= read -r _l; do
                case "$_l" in
                "ok - "* | "not ok - "*) t_out "$_l" ;;
                *) t_out "# $_l" ;;
                esac
        done
        return "$(cat /tmp/check.rc)"
}

# As a container runtime does it: the payload alone in the delegated cgroup,
# PID 1 of its own PID namespace, with a process planted beside it first.
cg=$(vm_delegate cglib)
run unshare --pid --fork --mount-proc sh -c \
        'echo $$ >"$0/cgroup.procs" && { sleep 1000 & exec /bin/cgroup-check --planted $!; }' "$cg"
t_is "delegated: cgroup-check exited 0" "$?" 0
t_is "delegated: only init is left in the delegated cgroup" \
        "$(cd "$cg" && for d in *; do [ -d "$d" ] && echo "$d"; done)" "init"

sleep 1000 &
planted=$!
run /bin/cgroup-check --cgroup-root /sys/fs/cgroup --planted $planted
t_is "top cgroup: cgroup-check exited 0" "$?" 0
t_is "top cgroup: the planted process is in init" "$(cat /proc/$planted/cgroup)" "0::/init"
kill $planted
