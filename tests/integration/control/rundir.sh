#!/bin/bash
# The run directory is corral's own before anything is created in it: a
# symlink, a directory of another user, one writable by others, or one whose
# parent others may change, is refused (exit 1, nothing started, nothing
# made in it, no namespace pinned there); a fresh one is made 0755 with the
# control socket 0600 in it, and corral says where that socket is.
. "$(dirname "$0")/lib.sh"
require_ns
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups -- "$@"; }
command -v setpriv >/dev/null || skip_all "setpriv not available"
chmod 755 "$T"

cat >"$T/rd.conf" <<CONF
settings = { cgroups = "optional"; };
groups = ( { path = "pod"; namespaces = { uts = true; hostname = "rd"; }; } );
services = ( { name = "s"; cgroup = { path = "pod/s"; };
               command = [ "/bin/sh", "-c", "touch $T/started; exec $HELPER sleep-forever" ]; } );
CONF

# try DIR: run corral on run dir DIR; RC its exit status (124: still up
# after 10 s), $T/err what it said.
try() {
        : >"$T/err"
        unshare --pid --fork --mount-proc --kill-child=SIGKILL \
                "$CORRAL" --run-dir "$1" -c "$T/rd.conf" >"$T/out" 2>"$T/err" &
        UPID=$!
        T_PIDS="$T_PIDS $UPID"
        wait_corral 10000
}
refused() { # DIR WHAT DESCRIPTION
        try "$1"
        is "$RC" 1 "$3: corral exits 1"
        grep -q "run directory \"$1\": $2" "$T/err"
        ok $? "... saying so: $(grep 'run directory' "$T/err" | head -1)"
        [ ! -e "$T/started" ]
        ok $? "... and starts nothing"
}
nothing_in() { [ -z "$(ls -A "$1")" ] && ! grep -q " $1/" /proc/self/mountinfo; }

mkdir "$T/elsewhere"
chown 65534:65534 "$T/elsewhere"
chmod 777 "$T/elsewhere"
ln -s "$T/elsewhere" "$T/link"
[ -L "$T/link" ]
ok $? "a symlink planted in place of the run dir"
refused "$T/link" "a symbolic link: refused" "a symlink in place of the run dir"
nothing_in "$T/elsewhere"
ok $? "... nothing was made where it points, no namespace pinned there"

mkdir -m 0777 "$T/theirs777"
chown 65534:65534 "$T/theirs777"
refused "$T/theirs777" "owned by uid 65534" "a run dir of another user, mode 0777"
nothing_in "$T/theirs777"
ok $? "... nothing was made in it"

mkdir -m 0755 "$T/theirs"
chown 65534:65534 "$T/theirs"
refused "$T/theirs" "owned by uid 65534" "a run dir of another user, mode 0755"

mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"
refused "$T/open" "writable by other users (mode 0777)" "root's own run dir, but writable by all"
nothing_in "$T/open"
ok $? "... nothing was made in it"

mkdir -m 0777 "$T/pub"
chmod 0777 "$T/pub"
refused "$T/pub/run" "its parent $T/pub may be changed by other users" "a run dir whose parent anyone may change"
[ ! -e "$T/pub/run" ]
ok $? "... not even created"

# A fresh one, in a sticky directory as /tmp is: made, and used.
mkdir -m 1777 "$T/sticky"
chmod 1777 "$T/sticky"
D="$T/sticky/run"
unshare --pid --fork --mount-proc --kill-child=SIGKILL \
        "$CORRAL" --run-dir "$D" -c "$T/rd.conf" >"$T/out" 2>"$T/err" &
UPID=$!
T_PIDS="$T_PIDS $UPID"
wait_for 10000 test -e "$T/started"
ok $? "a fresh run dir: the service starts"
is "$(stat -c '%a %U' "$D")" "755 root" "... the run dir is made 0755, root's"
is "$(stat -c '%a' "$D/control")" 600 "... the control socket 0600"
grep -q "corral: info: control socket $D/control\$" "$T/err"
ok $? "... and corral says where the socket is"
"$CORRALCTL" -s "$D/control" status >/dev/null
is $? 0 "... where corralctl reaches it"
"$CORRALCTL" -s "$D/control" shutdown >/dev/null
wait_corral 10000
is "$RC" 0 "corral shut down"

done_testing
