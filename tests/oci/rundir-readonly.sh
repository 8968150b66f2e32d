#!/bin/sh
# corral on a read-only root without a tmpfs for its run directory (what
# `docker run --read-only` gives without `--tmpfs /run`): it stops at once,
# before any service starts, and says what it needs.
#   rundir-readonly.sh CORRAL
CORRAL=$1
n=0
failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root for a mount namespace"; exit 0; }
unshare --mount --pid --fork --mount-proc true 2>/dev/null || { echo "1..0 # SKIP no mount namespace"; exit 0; }
T=$(mktemp -d /tmp/corral-rundir-ro.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir "$T/ro" "$T/out"
# The read-only mount lives and dies with the namespace.
unshare --mount --propagation private --pid --fork --mount-proc --kill-child=SIGKILL sh -c '
        mount -t tmpfs -o ro,size=64k tmpfs "$1/ro" || exit 99
        exec "$2" --run-dir "$1/ro/corral" -- /bin/sh -c "echo started >$1/out/ran; exit 5"
' sh "$T" "$CORRAL" >"$T/stdout" 2>"$T/stderr"
rc=$?
ok "$([ $rc -eq 1 ]; echo $?)" "exit 1 without a writable run directory (got $rc)"
ok "$([ ! -e "$T/out/ran" ]; echo $?)" "no service started"
grep -q "run directory \"$T/ro/corral\": .*Read-only file system.*needs a writable run directory" "$T/stderr"
ok $? "the message names the directory, the cause and what corral needs"
[ "$failed" = 0 ] || sed 's/^/# /' "$T/stderr"
# The same with a writable one: runs, exit status of the command.
unshare --mount --propagation private --pid --fork --mount-proc --kill-child=SIGKILL sh -c '
        mount -t tmpfs -o size=64k tmpfs "$1/ro" || exit 99
        exec "$2" --run-dir "$1/ro/corral" -- /bin/sh -c "exit 5"
' sh "$T" "$CORRAL" >/dev/null 2>"$T/stderr2"
rc=$?
ok "$([ $rc -eq 5 ]; echo $?)" "with a tmpfs for it: the command's status (got $rc)"
echo "1..$n"
exit $failed
