#!/bin/bash
# output = "file:..." against a hostile service user: the files are opened
# with the service's own rights (as nobody) or, for a service running as
# root, refused when they are symlinks, hard links, not regular files or
# owned by another user; at start and at `corralctl reopen` alike.  A
# root-only file stands in for /etc/passwd.
. "$(dirname "$0")/lib.sh"
require_ns
require_python
H=$HELPER
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups -- "$@"; }
command -v setpriv >/dev/null || skip_all "setpriv not available"

chmod 755 "$T"
mkdir "$T/logs" "$T/pub"
chown 65534:65534 "$T/logs"
chmod 1777 "$T/pub"
printf 'secret\n' >"$T/secret"
chmod 600 "$T/secret"
TICK='while :; do echo tick; sleep 0.1; done'

# Planted before corral starts: the log of a service running as nobody is a
# symlink to the root-only file; the log of a root service in a directory
# everybody may write is a symlink, a hard link, a FIFO, a file of nobody's.
as_nobody ln -s "$T/secret" "$T/logs/planted.log"
as_nobody ln -s "$T/secret" "$T/pub/root-link.log"
ln "$T/secret" "$T/pub/root-hard.log" # as root: fs.protected_hardlinks may stop nobody
as_nobody mkfifo "$T/pub/root-fifo.log"
as_nobody touch "$T/pub/root-theirs.log"

cat >"$T/files.conf" <<CONF
services = (
  { name = "planted"; user = 65534; group = 65534; command = [ "/bin/sh", "-c", "$TICK" ];
    output = "file:$T/logs/planted.log"; restart_delay_ms = 60000; restart_delay_max_ms = 60000; },
  { name = "swapper"; user = 65534; group = 65534; command = [ "/bin/sh", "-c", "$TICK" ];
    output = "file:$T/logs/swapper.log"; },
  { name = "rootlink"; command = [ "/bin/sh", "-c", "$TICK" ]; output = "file:$T/pub/root-link.log";
    restart_delay_ms = 60000; restart_delay_max_ms = 60000; },
  { name = "roothard"; command = [ "/bin/sh", "-c", "$TICK" ]; output = "file:$T/pub/root-hard.log";
    restart_delay_ms = 60000; restart_delay_max_ms = 60000; },
  { name = "rootfifo"; command = [ "/bin/sh", "-c", "$TICK" ]; output = "file:$T/pub/root-fifo.log";
    restart_delay_ms = 60000; restart_delay_max_ms = 60000; },
  { name = "roottheirs"; command = [ "/bin/sh", "-c", "$TICK" ]; output = "file:$T/pub/root-theirs.log";
    restart_delay_ms = 60000; restart_delay_max_ms = 60000; },
  { name = "rootok"; command = [ "/bin/sh", "-c", "$TICK" ]; output = "file:$T/pub/root-ok.log"; }
);
CONF
start_corral -c "$T/files.conf"
wait_for 10000 socket_up
ok $? "corral is up"

wait_for 10000 file_has "$T/logs/swapper.log" tick
ok $? "a service running as nobody writes its log in its own directory"
is "$(stat -c %U "$T/logs/swapper.log")" nobody "... a file created with nobody's rights"
wait_for 10000 file_has "$T/pub/root-ok.log" tick
ok $? "a root service's new log in a sticky world-writable directory is fine"

secret_intact() { [ "$(cat "$T/secret")" = secret ]; }
said() { grep -q -- "$1" "$T/err"; }

wait_for 10000 said "service \"planted\": output file \"$T/logs/planted.log\""
ok $? "start: the planted symlink of a nobody service is refused, naming service and file"
wait_for 5000 said "service \"rootlink\": output file \"$T/pub/root-link.log\": .*symbolic link"
ok $? "start: a symlink as a root service's log is refused"
wait_for 5000 said "service \"roothard\": output file \"$T/pub/root-hard.log\": .*hard link"
ok $? "start: a hard link as a root service's log is refused"
wait_for 5000 said "service \"rootfifo\": output file \"$T/pub/root-fifo.log\": .*not a regular file"
ok $? "start: a FIFO as a root service's log is refused (without blocking)"
wait_for 5000 said "service \"roottheirs\": output file \"$T/pub/root-theirs.log\": .*owned by uid 65534"
ok $? "start: a root service's log owned by another user is refused"
is "$(grep -c 'service "rootlink": output' "$T/err")" 1 "start: the refusal is logged once"
for svc in planted rootlink roothard rootfifo roottheirs; do
        st=$(field "$svc" state)
        case "$st" in backoff | failed | stopped) ;; *) diag "$svc is $st"; false ;; esac
        ok $? "$svc did not start ($st)"
done

# At reopen: the nobody service swaps its log for a symlink (logrotate's
# rename, then the link), or for a FIFO it never reads.
n=$(wc -l <"$T/logs/swapper.log")
as_nobody mv "$T/logs/swapper.log" "$T/logs/swapper.log.1"
as_nobody ln -s "$T/secret" "$T/logs/swapper.log"
ctl reopen >"$T/reopen.out" 2>&1
rc=$?
[ "$rc" != 0 ]
ok $? "reopen onto a symlink to a root-only file fails (exit $rc)"
wait_for 5000 said "service \"swapper\": output file \"$T/logs/swapper.log\""
ok $? "... and corral names the service and the file"
grep -q "^corral: reopen: service \"swapper\": output file \"$T/logs/swapper.log\": ." "$T/reopen.out"
ok $? "... in corralctl's answer too ($(cat "$T/reopen.out"))"
more() { [ "$(wc -l <"$T/logs/swapper.log.1")" -gt $((n + 5)) ]; }
wait_for 10000 more
ok $? "the service's lines still go to its old file"
as_nobody rm "$T/logs/swapper.log"
as_nobody mkfifo "$T/logs/swapper.log"
t0=$(date +%s%3N)
ctl reopen >/dev/null 2>&1
rc=$?
t1=$(date +%s%3N)
[ "$rc" != 0 ] && [ $((t1 - t0)) -lt 3000 ]
ok $? "reopen onto a FIFO nobody reads fails at once (exit $rc, $((t1 - t0)) ms)"
as_nobody rm "$T/logs/swapper.log"
ctl reopen >/dev/null 2>&1
is $? 0 "reopen once the path is free again"
wait_for 10000 file_has "$T/logs/swapper.log" tick
ok $? "... and the new file gets the lines"
is "$(stat -c %U "$T/logs/swapper.log")" nobody "... created with nobody's rights"

secret_intact
ok $? "the root-only file gained nothing"
grep "output file" "$T/err" | head -8 | sed "s/^/# /"
shutdown_corral
is "$RC" 0 "corral shut down"

done_testing
