#!/bin/bash
# Start order from `after`, the reverse on stop, main services, signal
# forwarding and orphan reaping in a pod.
. "$(dirname "$0")/lib.sh"
require_ns
H=$HELPER

# a <- b <- c, a <- d, and a oneshot `prep` before b.
cat >"$T/order.conf" <<CONF
services = (
  { name = "c"; command = [ "$H", "record", "$T/rec", "c" ]; after = [ "b" ]; },
  { name = "b"; command = [ "$H", "record", "$T/rec", "b" ]; after = [ "a", "prep" ]; },
  { name = "d"; command = [ "$H", "record", "$T/rec", "d" ]; after = [ "a" ]; },
  { name = "prep"; type = "oneshot"; command = [ "$H", "append-line", "$T/rec", "prep done", "exit", "0" ]; },
  { name = "a"; command = [ "$H", "record", "$T/rec", "a" ]; }
);
CONF
start_corral -c "$T/order.conf"
wait_for 20000 lines_of "$T/rec" 5
ok $? "every service started"
# A simple service is ready once its command runs, so the order of starts
# is corral's (its log); the services' own lines may race each other.
order=$(sed -n 's/^corral: info: service "\([a-z]*\)": started.*/\1/p' "$T/err" | tr '\n' ' ')
spos() { sed -n 's/^corral: info: service "\([a-z]*\)": started.*/\1/p' "$T/err" | grep -nx "$1" | cut -d: -f1; }
[ "$(spos a)" -lt "$(spos b)" ] && [ "$(spos b)" -lt "$(spos c)" ] && [ "$(spos a)" -lt "$(spos d)" ] &&
        [ "$(spos prep)" -lt "$(spos b)" ] && grep -q 'service "prep": ended with exit code 0' "$T/err" &&
        [ "$(grep -n 'service "prep": ended' "$T/err" | cut -d: -f1)" -lt "$(grep -n 'service "b": started' "$T/err" | cut -d: -f1)" ]
ok $? "start order follows after, b only once prep exited 0: $order"
pos() { awk -v w="$1" '$1 " " $2 == w { print NR; exit }' "$T/rec"; }
kill -TERM "$CPID"
wait_corral 10000
is "$RC" 0 "a requested shutdown without a main service exits 0"
order=$(awk '{print $1 "-" $2}' "$T/rec" | tr '\n' ' ')
[ "$(pos 'stop c')" -lt "$(pos 'stop b')" ] && [ "$(pos 'stop b')" -lt "$(pos 'stop a')" ] &&
        [ "$(pos 'stop d')" -lt "$(pos 'stop a')" ]
ok $? "stop order is the reverse: $order"
is "$(grep -c '^stop' "$T/rec")" 4 "each running service was stopped once"

# A long chain listed against its start order (s0 after s1 after ... s199),
# beside 100 services with no order: every one starts exactly once, the
# chain from its end, the free ones together in the first pass.
{
        echo "services = ("
        for i in $(seq 0 199); do
                after=""
                [ "$i" -lt 199 ] && after="after = [ \"s$((i + 1))\" ];"
                echo "  { name = \"s$i\"; command = [ \"/bin/sleep\", \"1000\" ]; output = \"null\"; $after },"
        done
        for i in $(seq 0 99); do
                echo "  { name = \"f$i\"; command = [ \"/bin/sleep\", \"1000\" ]; output = \"null\"; },"
        done
        echo "  { name = \"last\"; command = [ \"$H\", \"record\", \"$T/chain\", \"last\" ]; after = [ \"s0\" ]; }"
        echo ");"
} >"$T/chain.conf"
start_corral -c "$T/chain.conf"
wait_for 30000 file_has "$T/chain" "start last"
ok $? "the service at the end of a chain of 200 started"
started() { sed -n 's/^corral: info: service "\([a-z0-9]*\)": started.*/\1/p' "$T/err"; }
want=$( (seq 0 99 | sed 's/^/f/'; seq 199 -1 0 | sed 's/^/s/'; echo last) | sort | tr '\n' ' ')
is "$(started | sort | tr '\n' ' ')" "$want" "all 301 services started, each once"
is "$(started | grep '^s' | tr '\n' ' ')" "$(seq 199 -1 0 | sed 's/^/s/' | tr '\n' ' ')" \
        "the chain started from s199 down to s0"
kill -TERM "$CPID"
wait_corral 20000
is "$RC" 0 "the 301 services stopped"
is "$(sed -n 's/^corral: info: service "\(s[0-9]*\)": stopped .*/\1/p' "$T/err" | tr '\n' ' ')" \
        "$(seq 0 199 | sed 's/^/s/' | tr '\n' ' ')" "the chain stopped from s0 up to s199"

# Started in one batch with 20 others, a main service that cannot start
# (its workdir is missing) ends the pod: the 20 already running are each
# stopped by their stop signal, and corral exits 127 as for a failed exec.
{
        echo "services = ("
        echo "  { name = \"app\"; main = true; restart = \"never\"; workdir = \"/nonexistent/dir\";"
        echo "    command = [ \"/bin/true\" ]; },"
        for i in $(seq 1 20); do
                [ "$i" -gt 1 ] && echo ","
                echo "  { name = \"w$i\"; command = [ \"$H\", \"record\", \"$T/batch\", \"w$i\" ]; }"
        done
        echo ");"
} >"$T/batch.conf"
run_corral 20000 -c "$T/batch.conf"
is "$RC" 127 "a main service that could not start: corral exits 127"
file_has "$T/err" 'service "app": chdir /nonexistent/dir: No such file or directory'
ok $? "the failed start is named"
# (corral's log, not the services' records: the stop signal may arrive
# before a service installed its handler)
is "$(grep -c '^corral: info: service "w[0-9]*": stopped (' "$T/err")" 20 \
        "the 20 services started beside it were each stopped"

# A main service: its signals, and its end ending the pod with its status.
cat >"$T/main.conf" <<CONF
services = (
  { name = "app"; main = true; restart = "never"; command = [ "$H", "signal-report", "$T/sig" ]; after = [ "side" ]; },
  { name = "side"; command = [ "$H", "record", "$T/side", "side" ]; }
);
CONF
start_corral -c "$T/main.conf"
wait_for 20000 file_has "$T/sig" ready
ok $? "main service up"
kill -USR1 "$CPID"
wait_for 20000 file_has "$T/sig" SIGUSR1
ok $? "SIGUSR1 sent to corral reaches the main service"
kill -HUP "$CPID"
kill -USR2 "$CPID"
wait_for 20000 file_has "$T/sig" SIGUSR2
ok $? "SIGUSR2 too"
! file_has "$T/sig" SIGHUP
ok $? "SIGHUP is not forwarded in a pod with a config (it means reload)"
file_has "$T/err" "SIGHUP: reloading"
ok $? "SIGHUP is logged"
kill -TERM "$CPID"
wait_corral 10000
is "$RC" 143 "main killed by its stop signal: corral exits 128+15"
file_has "$T/side" "stop side"
ok $? "the other service was stopped, after the main one"

cat >"$T/main7.conf" <<CONF
services = (
  { name = "app"; main = true; restart = "never"; after = [ "side" ];
    command = [ "/bin/sh", "-c", "until grep -q start $T/side7 2>/dev/null; do sleep 0.01; done; exit 7" ]; },
  { name = "side"; command = [ "$H", "record", "$T/side7", "side" ]; }
);
CONF
run_corral 10000 -c "$T/main7.conf"
is "$RC" 7 "main exits 7: the pod stops and corral exits 7"
file_has "$T/side7" "stop side"
ok $? "the rest of the pod was stopped"

# Entrypoint plus config: the command is the main service.
cat >"$T/ep.conf" <<CONF
services = ( { name = "side"; command = [ "$H", "record", "$T/side-ep", "side" ]; } );
CONF
# (the command waits until the other service is up, so that its end stops a
# service that was running)
run_corral 20000 -c "$T/ep.conf" -- /bin/sh -c "until grep -q start '$T/side-ep' 2>/dev/null; do sleep 0.01; done; exit 9"
is "$RC" 9 "with a config, -- COMMAND is the main service"
file_has "$T/side-ep" "stop side"
ok $? "the configured service started and was stopped"

# Orphans of a service are reaped by corral as PID 1; nothing is left.
cat >"$T/orphans.conf" <<CONF
services = (
  { name = "maker"; type = "oneshot"; command = [ "$H", "orphans", "1000" ]; },
  { name = "count"; type = "oneshot"; main = true; command = [ "$H", "count-zombies" ]; after = [ "maker" ]; }
);
CONF
run_corral 60000 -c "$T/orphans.conf"
is "$RC" 0 "1000 orphans of a service reaped: the zombie count is 0"
file_has "$T/out" "made 1000 orphans"
ok $? "the orphans were made (output captured as maker| ...)"

done_testing
