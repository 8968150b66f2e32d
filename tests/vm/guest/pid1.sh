# The harness's own appliance-mode check: run by the kernel as the machine's
# PID 1 (rdinit=/bin/sh -- /test/pid1.sh ARG END [MODULE]). Nothing is
# mounted yet, so the first results go out on the console with the marker.
# $1 must arrive as the one word "two words"; $2 is how to end the machine:
# reboot, poweroff, halt or exit (PID 1 exits: the kernel panics).
PATH=/sbin:/usr/sbin:/bin:/usr/bin
r() { echo "VMTAP: $*"; }

if [ $$ = 1 ]; then r "ok - runs as PID 1"; else r "not ok - runs as PID 1 (pid $$)"; fi
if [ "$1" = "two words" ]; then r "ok - a quoted argument arrives whole"
else r "not ok - a quoted argument arrives whole (got '$1')"; fi
if [ ! -e /proc/self ]; then r "ok - nothing mounted before PID 1 starts"
else r "not ok - nothing mounted before PID 1 starts"; fi

mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
. /lib/vmtest.sh
t_is "results go to the second serial port once /dev exists" "$VMTEST_OUT" /dev/ttyS1
if [ -n "$3" ]; then
        t_like "module $3 loaded before PID 1" "$(cat /proc/filesystems)" "$3"
fi
sync
case $2 in
reboot) reboot -f ;;
poweroff) poweroff -f ;;
halt) halt -f ;;
exit) exit 3 ;;
esac
