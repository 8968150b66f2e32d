# Smoke test of the VM tier itself: the kernel gives every cgroup v2
# controller, overlayfs loads and mounts, corral runs in the guest.
. /lib/vmtest.sh

t_plan 15

ctrl=$(cat /sys/fs/cgroup/cgroup.controllers)
t_diag "cgroup.controllers: $ctrl"
for c in cpu memory pids io cpuset; do
        t_like "cgroup2 offers $c" " $ctrl " " $c "
done

t_like "overlay module loaded" "$(cat /proc/filesystems)" "overlay"
mkdir -p /tmp/ov/lower /tmp/ov/upper /tmp/ov/work /tmp/ov/merged
echo lower >/tmp/ov/lower/file
if mount -t overlay overlay \
        -o lowerdir=/tmp/ov/lower,upperdir=/tmp/ov/upper,workdir=/tmp/ov/work /tmp/ov/merged; then
        echo changed >/tmp/ov/merged/file
        t_is "overlay copy-up lands in upper, lower unchanged" \
                "$(cat /tmp/ov/upper/file) $(cat /tmp/ov/lower/file)" "changed lower"
        umount /tmp/ov/merged
else
        t_fail "overlay copy-up lands in upper, lower unchanged (mount failed)"
fi

out=$(/bin/corral --version 2>&1)
t_diag "corral --version: $out"
t_check "corral --version exits 0" /bin/corral --version
t_like "corral --version prints something" "$out" "."

# The PID 1 of a new PID namespace in a delegated cgroup, as the cgroup and
# namespace tests use it.
cg=$(vm_delegate smoke)
t_is "delegated cgroup offers what the root offers" "$(cat "$cg/cgroup.controllers")" "$ctrl"
t_is "unshare --pid makes PID 1 in the delegated cgroup" \
        "$(vm_in_container "$cg" sh -c 'echo $$ $(cat /proc/self/cgroup)')" "1 0::/smoke"

# In the background, signalled from outside, its status passed on.
if vm_container_start "$cg" sh -c 'trap "exit 5" TERM; while :; do usleep 20000; done'; then
        t_ok "vm_container_start finds the namespace's PID 1"
        t_is "... which is in the delegated cgroup" "$(cat "/proc/$VM_PID/cgroup")" "0::/smoke"
        kill -TERM "$VM_PID"
        wait "$VM_JOB"
        t_is "... and whose exit status comes back" "$?" 5
else
        t_fail "vm_container_start finds the namespace's PID 1"
fi

# A root filesystem for a service: the binary and its libraries.
vm_populate /tmp/newroot /bin/corral
t_like "vm_populate: corral runs chrooted with its libraries" \
        "$(chroot /tmp/newroot /bin/corral --version 2>&1)" "."
