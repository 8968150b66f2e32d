# Boot with corral as PID 1, reload a config that adds a service with a
# memory limit (the cgroup tree is rebuilt around the running services),
# then `corralctl shutdown`: an orderly poweroff.
. /test/common.sh
pid_of() { $C status "$1" | awk -v n="$1" '$1 == n { print $4 }'; }
web=$(pid_of web)
guest=$(pid_of guest)
cat /etc/corral/boot.conf >/tmp/boot.conf
sed 's/^);$/  ,{ name = "capped"; command = [ "\/bin\/corral-testhelper", "sleep-forever" ]; cgroup = { memory_max = "64M"; }; }\n);/' \
        /tmp/boot.conf >/etc/corral/boot.conf
t_like "reload adds the capped service" "$($C reload 2>&1)" "1 added, 0 removed, 0 changed, 3 unchanged"
t_wait 10 $C check capped || t_diag "capped not ready after 10 s"
t_check "the added service runs" $C check capped
t_is "its leaf has the memory limit" "$(cat /sys/fs/cgroup/capped/memory.max 2>&1)" 67108864
t_like "status --json shows it" "$($C status capped --json)" '"memory_max":67108864'
t_is "web kept its pid" "$(pid_of web)" "$web"
t_is "this script kept its pid" "$(pid_of guest)" "$guest"
t_check "web is still in its leaf" grep -qx "$web" /sys/fs/cgroup/web/cgroup.procs
# This script is a service too: the shutdown stops it, the harness judges the end.
t_like "corralctl shutdown answers" "$($C shutdown)" "stopping"
