#!/bin/sh
# corral's last unmounting as a machine's PID 1 (appliance_finish): boots
# unmount-guest.sh with its arguments passed to run-vm.sh (the first one is
# run-vm.sh itself), then judges from corral's log on the console that every
# mount that could go went, past the 512 once tried, in passes until no
# progress, and that the busy one was remounted read-only before reboot(2).
run=$1
shift
work=${CORRAL_VM_WORK:+$CORRAL_VM_WORK/appliance-unmount}
work=${work:-$(mktemp -d /tmp/corral-vm-unmount.XXXXXX)}
mkdir -p "$work"
"$run" --name appliance-unmount --work-dir "$work" "$@" >"$work/boot.tap"
n=0
failed=0
. "$(cd "$(dirname "$0")/.." && pwd)/tap.sh"
emit <"$work/boot.tap"
log=$work/console.log
summary=$(grep -a -o 'unmounted [0-9]* file systems in [0-9]* passes; [0-9]* busy, [0-9]* of them remounted read-only' "$log")
echo "# ${summary:-no summary of the unmounting in the console log}"
set -- $summary
result "every mount that could go was unmounted: at least the 602 made (${2:-none})" test "${2:-0}" -ge 602
result "passes until one unmounted nothing (${6:-none})" test "${6:-0}" -ge 2
result "one mount stayed busy, and was remounted read-only" test "${8:-}/${10:-}" = "1/1"
result "the busy mount named: /mnt/busy: busy, remounted read-only" \
        grep -aq '/mnt/busy: busy, remounted read-only' "$log"
# The summary is logged after the last remount, and reboot(2) comes after it.
at() { grep -a -n -e "$1" "$log" | tail -1 | cut -d: -f1; }
ro=$(at 'remounted read-only')
off=$(at 'reboot: Power down')
result "reboot(2) came after the remount (console lines ${ro:-none} and ${off:-none})" \
        test -n "$ro" -a -n "$off" -a "${ro:-0}" -lt "${off:-0}"
echo "1..$n"
[ "$failed" = 0 ]
