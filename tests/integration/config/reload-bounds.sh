#!/bin/bash
# A reload runs the config loader inside corral's event loop.  Hostile
# configs (self-includes, an include fan-out, a group of a hundred thousand
# settings, a 5 MiB include chain) are refused with their cause named,
# within the time of an ordinary reload, and the pod runs on untouched.
. "$(dirname "$0")/../control/lib.sh"
require_ns
require_python
H=$HELPER
C=$T/pod.conf
SVC="services = ( { name = \"keep\"; command = [ \"$H\", \"sleep-forever\" ]; } );"

echo "$SVC" >"$C"
start_corral -c "$C"
wait_for 10000 socket_up && wait_for 10000 state_is keep ready
ok $? "the first config runs"
keep=$(pid_of keep)

refused() { # WHAT MESSAGE: reload the config as it is now
        local t0 rc dt
        t0=$(date +%s%3N)
        ctl reload >"$T/r" 2>&1
        rc=$?
        dt=$(($(date +%s%3N) - t0))
        is "$rc" 1 "$1: reload refused"
        grep -qF -- "$2" "$T/r"
        ok $? "  naming the cause: $2"
        [ "$(grep -c . "$T/r")" -le 110 ]
        ok $? "  in a bounded number of lines ($(grep -c . "$T/r"))"
        # A sanity bound, not a measure: before the bounds, the first of
        # these took over a minute.
        [ "$dt" -lt 30000 ]
        ok $? "  answered in $dt ms"
        ctl status keep >/dev/null
        ok $? "  and corral still answers"
}

{ echo "$SVC"; for i in 1 2 3 4; do echo "@include \"pod.conf\""; done; } >"$C"
refused "four self-includes" "@include \"$C\": include cycle: \"$C\" -> \"$C\""

for i in 0 1 2 3 4 5 6 7 8 9; do
        if [ $i -lt 9 ]; then
                printf '@include "f%d.conf"\n' $((i + 1)) $((i + 1)) $((i + 1)) $((i + 1)) >"$T/f$i.conf"
        else
                echo "# the last level" >"$T/f$i.conf"
        fi
done
{ echo "$SVC"; echo '@include "f0.conf"'; } >"$C"
refused "an include fan-out of 4^10" "more than 256 @include lines in all"

"$PY" -c '
import sys
print(sys.argv[1])
print("x = {" + "".join("k%d=1;" % i for i in range(110000)) + "};")' "$SVC" >"$C"
refused "a group of 110000 settings" "more than 1024 settings in one group"

head -c 900000 /dev/zero | tr '\0' '#' | fold -w 80 >"$T/big.conf"
{ echo "$SVC"; for i in 1 2 3 4 5 6; do echo '@include "big.conf"'; done; } >"$C"
refused "six includes of 0.9 MiB" "the config would be larger than 4 MiB in all"

echo "$SVC" >"$C"
ctl reload >"$T/r" 2>&1
is $? 0 "the first config again: reload exits 0"
is "$(pid_of keep)" "$keep" "and the service kept its process throughout"

shutdown_corral
is "$RC" 0 "corral shuts down"
done_testing
