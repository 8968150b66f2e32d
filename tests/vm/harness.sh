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

# emit CASE <FILE: renumber the TAP of FILE under CASE; a skip skips all.
# (A function with a redirection runs in this shell: n and failed carry on.)
emit() {
        while IFS= read -r line; do
                case $line in
                "1..0 # SKIP"*) echo "$line"; exit 0 ;;
                "Bail out!"*) echo "$line"; exit 1 ;;
                "ok "*) n=$((n + 1)); echo "ok $n - $1: ${line#ok [0-9]* - }" ;;
                "not ok "*) n=$((n + 1)); failed=$((failed + 1))
                        echo "not ok $n - $1: ${line#not ok [0-9]* - }" ;;
                "#"*) echo "$line" ;;
                esac
        done
}

# result DESC COND...: one result of this script's own.
result() {
        d=$1
        shift
        n=$((n + 1))
        if "$@"; then echo "ok $n - $d"
        else failed=$((failed + 1)); echo "not ok $n - $d"; fi
}

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
