# More mounts than corral's unmounting once looked at (512), one of them
# below another, and one kept busy by the kernel itself (a loop device on a
# file in it, which outlives every process): then SIGTERM to PID 1.  What
# corral did at poweroff is judged from its log on the console
# (unmount.sh).
. /lib/vmtest.sh
mkdir -p /mnt/m
mount -t tmpfs m /mnt/m
i=0
while [ $i -lt 600 ]; do
        mkdir /mnt/m/$i && mount -t tmpfs "t$i" /mnt/m/$i || break
        i=$((i + 1))
done
t_is "600 tmpfs mounted below /mnt/m" "$i" 600
mkdir /mnt/m/5/deep && mount -t tmpfs deep /mnt/m/5/deep
t_check "a mount below one of them" grep -q " /mnt/m/5/deep " /proc/self/mountinfo
mkdir -p /mnt/busy
mount -t tmpfs busy /mnt/busy
dd if=/dev/zero of=/mnt/busy/img bs=1024 count=1024 2>/dev/null
t_check "a read-only loop device on a file in /mnt/busy" losetup -r /dev/loop0 /mnt/busy/img
t_like "/mnt/busy is busy" "$(umount /mnt/busy 2>&1)" "busy"
n=$(wc -l </proc/self/mountinfo)
t_check "more than 512 mounts ($n)" test "$n" -gt 600
kill -TERM 1
