#!/bin/bash
# Entrypoint mode without config: corral behaves like tini.
. "$(dirname "$0")/lib.sh"
require_ns

run_corral 10000 -- "$HELPER" exit 7
is "$RC" 7 "exit 7 of the command is corral's exit status"

run_corral 10000 -- /bin/sh -c 'kill -KILL $$'
is "$RC" 137 "a command killed by SIGKILL gives 137"

run_corral 10000 -- /nonexistent/command
is "$RC" 127 "a missing command gives 127"
file_has "$T/err" 'service "main": exec /nonexistent/command: No such file or directory'
ok $? "the missing command is reported with its errno"

run_corral 10000 -- no-such-command-in-path
is "$RC" 127 "a command not in PATH gives 127"

printf 'not a program\n' >"$T/noexec"
chmod 0644 "$T/noexec"
run_corral 10000 -- "$T/noexec"
is "$RC" 126 "a command that is not executable gives 126"
file_has "$T/err" "exec $T/noexec: Permission denied"
ok $? "the non-executable command is reported with its errno"

run_corral 10000 -- "$HELPER" print-env
file_has "$T/out" '^PATH='
ok $? "the command keeps corral's stdout and environment"

run_corral 10000 -- "$HELPER" print-fds
is "$(grep -c '^fd' "$T/out")" 3 "the command has only fds 0, 1 and 2"
run_corral 10000 -- "$HELPER" print-sigmask
is "$(grep -E '^Sig(Blk|Ign)' "$T/out" | awk '{print $2}' | sort -u)" 0000000000000000 \
        "the command starts with no blocked or ignored signal"

# Forwarding: every catchable signal reaches the command, SIGHUP included.
start_corral -- "$HELPER" signal-report "$T/sig"
wait_for 20000 file_has "$T/sig" ready
ok $? "signal-report is up"
for s in USR1 USR2 HUP WINCH QUIT CONT; do
        kill -"$s" "$CPID"
        wait_for 20000 file_has "$T/sig" "SIG$s"
        ok $? "SIG$s is forwarded to the command"
done
kill -TERM "$CPID"
wait_corral 10000
is "$RC" 143 "SIGTERM reaches the command, which dies of it: 143"

start_corral -- "$HELPER" signal-report "$T/sig2"
wait_for 20000 file_has "$T/sig2" ready
kill -INT "$CPID"
wait_corral 10000
is "$RC" 130 "SIGINT is passed on as SIGINT: 130"

# Every SIGINT and SIGTERM reaches the command, every time, as with tini:
# a program that ends on its second Ctrl-C gets it, and exits as it likes.
cat >"$T/twice.sh" <<'SH'
n=0
trap 'n=$((n + 1)); echo "int$n" >>"$1"; [ "$n" -ge 2 ] && exit 0' INT
trap 'echo term >>"$1"' TERM
echo ready >>"$1"
while :; do sleep 0.05; done
SH
start_corral -- /bin/sh "$T/twice.sh" "$T/twice"
wait_for 20000 file_has "$T/twice" ready
ok $? "a command that counts its SIGINTs is up"
kill -INT "$CPID"
wait_for 20000 file_has "$T/twice" int1
ok $? "the first SIGINT reaches it"
kill -TERM "$CPID"
wait_for 20000 file_has "$T/twice" term
ok $? "a SIGTERM after it reaches it too"
kill -TERM "$CPID"
wait_for 20000 lines_of "$T/twice" 4
ok $? "and a second SIGTERM"
kill -INT "$CPID"
wait_corral 20000
is "$RC" 0 "the second SIGINT reaches it, and it exits 0 of its own accord"
is "$(tr '\n' ' ' <"$T/twice")" "ready int1 term term int2 " "each signal arrived once, in order"

# Orphans: 1000 grandchildren reparented to corral are all reaped.
run_corral 60000 -- /bin/sh -c "'$HELPER' orphans 1000 && exec '$HELPER' count-zombies"
is "$RC" 0 "1000 orphans made and reaped: no zombie left in the namespace"
file_has "$T/out" "made 1000 orphans"
ok $? "the orphans were made"

# Not PID 1: corral is a child subreaper, so an orphan of its command is
# reparented to corral, not to the machine's init.
"$CORRAL" -- "$HELPER" orphan-ppid "$T/ppid" >"$T/out" 2>"$T/err" &
SUB=$!
T_PIDS="$T_PIDS $SUB"
wait "$SUB"
is "$?" 0 "corral as a plain child ran the command"
is "$(cat "$T/ppid" 2>/dev/null)" "$SUB" "an orphan of its command was reparented to corral (subreaper)"

# corral ignores SIGTTIN and SIGTTOU, as tini does, so that a terminal with
# tostop never stops it; its command still starts with them at default.
"$CORRAL" -- "$HELPER" signal-report "$T/tt" >"$T/out" 2>"$T/err" &
SUB=$!
T_PIDS="$T_PIDS $SUB"
wait_for 20000 file_has "$T/tt" ready
kill -TTOU "$SUB"
kill -TTIN "$SUB"
kill -USR1 "$SUB"
wait_for 20000 file_has "$T/tt" SIGUSR1
ok $? "after SIGTTOU and SIGTTIN corral still runs and forwards SIGUSR1"
ign=$(awk '/^SigIgn:/ {print $2}' "/proc/$SUB/status")
is "$(( 0x$ign & 0x300000 ))" $((0x300000)) "SIGTTIN and SIGTTOU are ignored by corral itself"
kill -CONT "$SUB"
kill -TERM "$SUB"
wait "$SUB"
is "$?" 143 "SIGTERM ends it as it ends the command"

# Without /proc corral still knows a container's PID 1 from a machine's:
# it exits with the command's status instead of calling reboot(2).
if ldd "$CORRAL" 2>/dev/null | grep -q 'libasan'; then
        # (the sanitizers' leak check needs /proc at exit, and reads its
        # options from /proc: it would turn any status into its own)
        T_N=$((T_N + 1))
        echo "ok $T_N - no /proc: the command's exit 7 is corral's # SKIP sanitized build"
else
        unshare --pid --fork --mount --propagation private --kill-child=SIGKILL \
                /bin/sh -c "umount -l /proc && exec '$CORRAL' -- '$HELPER' exit 7" >"$T/out" 2>"$T/err"
        is "$?" 7 "no /proc: the command's exit 7 is corral's"
fi

done_testing
