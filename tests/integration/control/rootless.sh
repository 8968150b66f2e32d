#!/bin/bash
# corral run by an ordinary user (uid 65534 here): its run dir defaults to
# $XDG_RUNTIME_DIR/corral, it says where its control socket is, and
# corralctl run by the same user with the same environment finds it.
. "$(dirname "$0")/lib.sh"
require_ns
command -v setpriv >/dev/null || skip_all "setpriv not available"
as_nobody() {
        setpriv --reuid 65534 --regid 65534 --clear-groups -- \
                env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$T/xdg" "$@"
}

chmod 755 "$T"
mkdir -m 0700 "$T/xdg"
chown 65534:65534 "$T/xdg"
cat >"$T/rootless.conf" <<CONF
settings = { cgroups = "optional"; };
services = ( { name = "mine"; command = [ "$HELPER", "sleep-forever" ]; } );
CONF
chmod 644 "$T/rootless.conf"

unshare --pid --fork --mount-proc --kill-child=SIGKILL \
        setpriv --reuid 65534 --regid 65534 --clear-groups -- \
        env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$T/xdg" \
        "$CORRAL" -c "$T/rootless.conf" >"$T/out" 2>"$T/err" &
UPID=$!
T_PIDS="$T_PIDS $UPID"
# corral itself too: unshare's --kill-child does not reach a child that
# changed its uid (the parent-death signal is cleared then).
CPID=""
wait_for 20000 find_cpid
T_PIDS="$T_PIDS $CPID"
wait_for 10000 test -S "$T/xdg/corral/control"
ok $? "the control socket is made in \$XDG_RUNTIME_DIR/corral"
is "$(stat -c '%U %a' "$T/xdg/corral")" "nobody 755" "... a run dir of the user's own"
grep -q "corral: info: control socket $T/xdg/corral/control\$" "$T/err"
ok $? "corral says where it is"
! grep -q "Permission denied" "$T/err"
ok $? "no 'Permission denied' about /run/corral"
mine_ready() { as_nobody "$CORRALCTL" status 2>&1 | grep -q '^mine  *ready'; }
wait_for 10000 mine_ready
as_nobody "$CORRALCTL" status >"$T/st" 2>&1
rc=$?
is "$rc" 0 "corralctl as the same user, without -s, finds it"
grep -q '^mine  *ready' "$T/st"
ok $? "... and shows the service ($(head -c 200 "$T/st" | tr '\n' ' '))"
env -u XDG_RUNTIME_DIR setpriv --reuid 65534 --regid 65534 --clear-groups -- \
        "$CORRALCTL" status >/dev/null 2>"$T/st.err"
[ $? = 3 ] && grep -q "/tmp/corral-65534/control" "$T/st.err"
ok $? "without XDG_RUNTIME_DIR corralctl looks in /tmp/corral-UID ($(cat "$T/st.err"))"
as_nobody "$CORRALCTL" shutdown >/dev/null 2>&1
wait_corral 10000
is "$RC" 0 "corral shut down"
[ ! -e "$T/xdg/corral/control" ]
ok $? "... and removed its socket"

done_testing
