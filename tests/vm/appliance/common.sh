# Checks shared by the appliance boots: run by the guest service of
# boot.conf while corral is the machine's PID 1.
. /lib/vmtest.sh
C=/bin/corralctl
t_is "corral is PID 1" "$(cat /proc/1/comm)" corral
for m in "/proc proc" "/sys sysfs" "/dev devtmpfs" "/run tmpfs" "/sys/fs/cgroup cgroup2"; do
        t_check "corral mounted ${m#* } on ${m% *}" grep -q " $m " /proc/mounts
done
t_wait 10 $C check web || t_diag "web not ready after 10 s"
t_check "corralctl check web: ready" $C check web
st=$($C status)
t_like "status shows the oneshot exited" "$st" "setup +exited"
t_like "status shows web ready" "$st" "web +ready"
t_is "the control socket is mode 0600" "$(stat -c %a /run/corral/control)" 600
t_check "the oneshot ran before web" test -f /run/setup.done
