# Booted with a broken config and `-- /bin/sh /test/guest.sh`: corral stays
# up running only the command, a reload of the still broken file is refused,
# a reload after fixing it starts the services, SIGTERM powers off.
. /lib/vmtest.sh
C=/bin/corralctl
t_is "corral is PID 1" "$(cat /proc/1/comm)" corral
t_check "the control socket is open" $C status
t_like "only the command runs" "$($C status)" "main +ready"
out=$($C reload 2>&1)
t_is "a reload of the still broken file exits 1" "$?" 1
t_like "and names the error" "$out" "broken.conf:3"
cp /etc/corral/fixed.conf /etc/corral/broken.conf
t_is "a reload after fixing the file exits 0" "$($C reload >/dev/null 2>&1; echo $?)" 0
t_wait 10 $C check web || t_diag "web not ready after 10 s"
t_check "the fixed config's service runs" $C check web
t_like "this command keeps running through the reload" "$($C status main)" "main +ready"
kill -TERM 1
