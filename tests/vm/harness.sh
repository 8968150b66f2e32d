#!/bin/sh
# The VM harness's own test: appliance mode (a program as the real PID 1,
# arguments from the kernel command line, modules loaded before it) and the
# verdict on how a VM ended (reboot, panic; a wrong expectation fails).
# TAP on stdout: the results of each boot, renumbered, prefixed by its case.
here=$(cd "$(dirname "$0")" && pwd)
run="$here/run-vm.sh"
work=${CORRAL_VM_WORK:+$CORRAL_VM_WORK/harness}
work=${work:-$(mktemp -d /tmp/corral-vm-harness.XXXXXX)}
n=0
failed=0

. "$here/tap.sh"

mkdir -p "$work"
"$run" --name harness-reboot --work-dir "$work/harness-reboot" \
        --add "$here/guest/pid1.sh" \
        --pid1 "/bin/sh /test/pid1.sh 'two words' reboot" --expect reboot >"$work/reboot.tap"
emit reboot <"$work/reboot.tap"

"$run" --name harness-panic --work-dir "$work/harness-panic" \
        --add "$here/guest/pid1.sh" --module overlay \
        --pid1 "/bin/sh /test/pid1.sh 'two words' exit overlay" --expect panic >"$work/panic.tap"
emit panic <"$work/panic.tap"
result "panic: the kernel's reason is reported" \
        grep -q "it ended by panic: Attempted to kill init" "$work/panic.tap"

"$run" --judge "$work/harness-reboot" --expect poweroff >"$work/wrong.tap"
result "a reboot judged against --expect poweroff fails" [ $? = 1 ]
result "... saying what happened" grep -q "^not ok .*VM ended by poweroff (it ended by reboot)" \
        "$work/wrong.tap"

echo "1..$n"
[ "$failed" = 0 ]
