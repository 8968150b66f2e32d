#!/bin/bash
# 100 MB of output from one service through corral's console while another
# service restarts on schedule: every line arrives whole and in order.
# With "late", corral is stopped for 300 ms six times meanwhile, as a
# loaded machine or a throttled container would leave it: a line whose
# rest waits in the pipe is still not cut at its 100 ms deadline.
. "$(dirname "$0")/lib.sh"
require_ns
H=$HELPER
BYTES=104857600
LINES=$(( (BYTES + 113) / 114 )) # "seq=%08d " + 100 bytes + "\n"

cat >"$T/flood.conf" <<CONF
services = (
  { name = "flood"; main = true; restart = "never"; command = [ "$H", "flood", "$BYTES" ]; after = [ "tick" ]; },
  { name = "tick"; command = [ "$H", "stamp", "$T/ticks", "0" ]; restart_delay_ms = 200;
    restart_delay_max_ms = 200; start_limit = { burst = 100000; interval_ms = 1000; }; }
);
CONF

# The checker reads corral's stdout through a pipe, so corral's console
# meets a real reader's pace.
mkdir -p "$T/run"
mkfifo "$T/stdout"
awk -v want="$LINES" '
        /^flood\| / {
                if (length($0) != 120 || substr($0, 8, 4) != "seq=" || substr($0, 12, 8) + 0 != n) bad++
                n++
                next
        }
        { other++ }
        END { printf "lines %d bad %d other %d\n", n, bad, other }' <"$T/stdout" >"$T/check" &
CHECK_PID=$!
T_PIDS="$T_PIDS $CHECK_PID"
unshare --pid --fork --mount-proc --kill-child=SIGKILL \
        "$CORRAL" --run-dir "$T/run" -c "$T/flood.conf" >"$T/stdout" 2>"$T/err" &
UPID=$!
T_PIDS="$T_PIDS $UPID"
if [ "${1:-}" = late ]; then
        wait_for 20000 find_cpid
        for _ in 1 2 3 4 5 6; do
                sleep 0.15
                kill -STOP "$CPID" 2>/dev/null
                sleep 0.3
                kill -CONT "$CPID" 2>/dev/null
        done
fi
wait_for 150000 file_has "$T/check" lines
ok $? "the pod ended and the checker read everything"
wait "$UPID"
is "$?" 0 "the flooding main service exited 0, and so did corral"
wait "$CHECK_PID"
read -r _ n _ bad _ other <"$T/check"
is "$n" "$LINES" "all $LINES lines arrived"
is "$bad" 0 "no line was cut, mixed or out of sequence"
ticks=$(wc -l <"$T/ticks")
[ "$ticks" -ge 3 ]
ok $? "the other service kept restarting meanwhile ($ticks starts)"
maxgap=$(awk 'NR > 1 { g = $1 - p; if (g > m) m = g } { p = $1 } END { print m + 0 }' "$T/ticks")
[ "$maxgap" -ge 200 ] && [ "$maxgap" -lt 1000 ]
ok $? "... every 200 ms plus jitter, never held up by the flood (largest gap $maxgap ms)"

done_testing
