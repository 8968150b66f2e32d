# The oci tier's guest (busybox sh, run by tests/oci/oci.sh through
# tests/vm/run-vm.sh): corral as the PID 1 of containers that crun starts,
# each from its own copy of the image's root (/test/rootfs.tar, made by
# packaging/rootfs.sh plus busybox), one boot for every scenario.
. /lib/vmtest.sh

# crun pivots into a container's root (pivot_root(2)) as Docker and Podman
# do, which the kernel refuses where / is the initramfs, a mount without a
# parent.  So the scenarios run in a mount namespace of their own whose
# root is a tmpfs holding a copy of the image, moved onto / as
# switch_root(8) does.
if [ -z "${OCI_SWITCHED:-}" ]; then
        mkdir -p /newroot
        mount -t tmpfs -o mode=0755 tmpfs /newroot || t_bail "a tmpfs for the new root"
        for d in /*; do
                case $d in
                /proc | /sys | /dev | /run | /tmp | /newroot) mkdir -p "/newroot$d" ;;
                *) cp -a "$d" /newroot/ || t_bail "cp -a $d" ;;
                esac
        done
        export OCI_SWITCHED=1
        exec unshare -m sh -c '
                mount -o rbind /proc /newroot/proc && mount -o rbind /sys /newroot/sys &&
                mount -o rbind /dev /newroot/dev && mount -t tmpfs tmpfs /newroot/run &&
                mount -t tmpfs tmpfs /newroot/tmp && cd /newroot && mount -o move . / &&
                exec chroot . /bin/sh /test/guest.sh'
fi
t_like "crun runs on a tmpfs root, where it pivots (not on the initramfs)" \
        "$(awk '$2 == "/" { t = $3 } END { print t }' /proc/self/mounts)" '^tmpfs$'

CRUN=/bin/crun
JQ=/bin/jq
O=/oci

# Docker's default capabilities (crun spec keeps only three), which a
# service's user and group need (setgroups, setuid).
CAPS='["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
       "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
       "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]'

# mkbundle ID CONF|- [JQ-FILTER]: /oci/ID with rootfs/, out/ (the
# container's /out, where services write what they did) and a config.json
# from `crun spec`, made like Docker's default: no terminal, a writable root,
# its capabilities, a private cgroup namespace with /sys/fs/cgroup read-only,
# the cgroup /sys/fs/cgroup/oci-ID.  CONF is a directory of /test/conf copied to the
# image's /etc/corral/conf.d (as a derived image's COPY would).
mkbundle() {
        _b=$O/$1
        mkdir -p "$_b/rootfs" "$_b/out"
        chmod 0777 "$_b/out"
        # Services of any user append to the same log.
        : >"$_b/out/log"
        chmod 0666 "$_b/out/log"
        tar -xf /test/rootfs.tar -C "$_b/rootfs" || return 1
        [ "$2" = - ] || cp /test/conf/"$2"/*.conf "$_b/rootfs/etc/corral/conf.d/" || return 1
        (cd "$_b" && $CRUN spec) || return 1
        $JQ --arg out "$_b/out" --arg cg "/oci-$1" --argjson caps "$CAPS" '
                .process.terminal = false
                | .process.capabilities = {"bounding": $caps, "effective": $caps, "permitted": $caps} | .root.path = "rootfs" | .root.readonly = false
                | .linux.namespaces += [{"type": "cgroup"}] | .linux.cgroupsPath = $cg
                | .mounts += [{"destination": "/out", "type": "bind", "source": $out,
                               "options": ["rbind", "rw"]}]
                | '"${3:-.}" "$_b/config.json" >"$_b/config.new" &&
                mv "$_b/config.new" "$_b/config.json"
}

# args JSON: set the container's process.args.
args() { echo ".process.args = $1"; }

# run_fg ID: crun run in the foreground; its exit status, output in out/console.
run_fg() {
        $CRUN run -b "$O/$1" "$1" >"$O/$1/out/console" 2>&1 </dev/null
}

# run_bg ID: the same in the background; its job's pid in RUN_PID.
run_bg() {
        $CRUN run -b "$O/$1" "$1" >"$O/$1/out/console" 2>&1 </dev/null &
        RUN_PID=$!
}

show_console() { sed 's/^/    /' "$O/$1/out/console" | while read -r l; do t_diag "$l"; done; }

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# cgroup v2 controllers for the containers' cgroups (crun enables what it
# needs below the root, but the root's own subtree_control is the host's).
echo "+memory +pids +cpu" >/sys/fs/cgroup/cgroup.subtree_control

# 1. Entrypoint mode, instead of tini: the command's status is the container's.
mkbundle entry - "$(args '["/corral", "--", "/bin/sh", "-c", "sleep 0.1 & exit 7"]')" || t_bail "no bundle"
run_fg entry
rc=$?
t_is "corral -- CMD as PID 1 under crun: the container exits with CMD's 7" "$rc" 7 || show_console entry

# 2. The default layout, a pod from /etc/corral/conf.d.
mkbundle pod pod "$(args '["/corral"]')"
run_bg pod
pod_job=$RUN_PID
t_wait 60 grep -q web-start $O/pod/out/log || { t_diag "web did not start"; show_console pod; }
t_check "db started before web" sh -c "grep -n -e 'service \"db\": started' -e 'service \"web\": started' $O/pod/out/console | head -1 | grep -q db"
st=$($CRUN exec pod /usr/bin/corralctl status --json 2>&1)
t_like "crun exec pod corralctl status --json: web listed" \
        "$(echo "$st" | $JQ -r '.services[] | .name + "=" + .state' 2>&1 | tr '\n' ' ')" \
        "web=(running|ready) "
# Without CAP_SYS_PTRACE (Docker's default set), into a service of
# another user.
t_like "crun exec pod corralctl exec web -- id: as nobody, a name from the image's /etc/passwd" \
        "$($CRUN exec pod /usr/bin/corralctl exec web -- /bin/id 2>&1)" "^uid=65534\(nobody\) gid=65534\(nogroup\)"
t_check "/sys/fs/cgroup is read-only in the container" \
        sh -c "! $CRUN exec pod /bin/mkdir /sys/fs/cgroup/x 2>/dev/null"
# Orphans of the service "orphans" are reaped: no zombie stays (one may be
# seen for an instant between its exit and corral's wait).
zombies() { $CRUN exec pod /bin/sh -c 'cat /proc/[0-9]*/stat 2>/dev/null' | awk '$3 == "Z"' | wc -l; }
no_zombie() { [ "$(zombies)" = 0 ]; }
t_wait 10 no_zombie
t_is "no zombie in the container (orphans are reaped)" "$(zombies)" 0
$CRUN kill pod USR1
t_wait 20 grep -q web-usr1 $O/pod/out/log
t_check "crun kill pod USR1 reaches the main service" grep -q web-usr1 $O/pod/out/log
t0=$(uptime_s)
$CRUN kill pod TERM
wait $pod_job
rc=$?
t1=$(uptime_s)
t_is "crun kill pod TERM: the container's status is web's 42" "$rc" 42 || show_console pod
t_check "stopped in order: web, then db" sh -c "grep -n -e web-stop -e db-stop $O/pod/out/log | tr '\n' ' ' | grep -Eq '^[0-9]+:web-stop [0-9]+:db-stop'"
t_check "within shutdown_timeout_ms (6 s): took $(awk "BEGIN { print $t1 - $t0 }") s" awk "BEGIN { exit !($t1 - $t0 < 6) }"
$CRUN delete -f pod >/dev/null 2>&1

# 3. A limit in the default layout: the documented message, exit 2; with
# cgroups = "optional" a warning and the service runs.
mkbundle limits limits "$(args '["/corral"]')"
run_fg limits
rc=$?
t_is "a memory_max with /sys/fs/cgroup read-only: exit 2" "$rc" 2
t_like "the message names the file, the service, the key and the read-only mount" \
        "$(cat $O/limits/out/console)" 'limits.conf:5: service "capped": memory_max: .*read-only'
t_check "nothing ran" sh -c "! grep -q capped-ran $O/limits/out/log 2>/dev/null"
mkbundle optional optional "$(args '["/corral"]')"
run_fg optional
rc=$?
t_is "the same with cgroups = \"optional\": runs, the container's status is 3" "$rc" 3 || show_console optional
t_like "one warning for the limits" "$(grep -c 'warn: cgroup2 is not usable (.*read-only.*): running without cgroups' $O/optional/out/console)" '^1$' ||
        show_console optional

# 4. The delegated layout: /sys/fs/cgroup writable in the cgroup namespace.
mkbundle deleg deleg "$(args '["/corral"]') | (.mounts[] | select(.destination == \"/sys/fs/cgroup\") | .options) |= map(select(. != \"ro\"))"
run_bg deleg
deleg_job=$RUN_PID
cg=/sys/fs/cgroup/oci-deleg
t_wait 60 grep -q hog-after-dd $O/deleg/out/log || { t_diag "hog did not get past dd"; show_console deleg; }
t_check "corral moved itself into init" grep -q . $cg/init/cgroup.procs
t_is "hog's leaf has its memory.max" "$(cat $cg/hog/memory.max 2>&1)" 16777216
t_like "the kernel killed the hog inside its leaf" "$(grep oom_kill $cg/hog/memory.events 2>&1)" '^oom_kill [1-9]'
st=$($CRUN exec deleg /usr/bin/corralctl status --json 2>&1)
t_like "status: hog's OOM kill is counted, neighbour runs" \
        "$(echo "$st" | $JQ -r '.services[] | .name + ":" + (.oom_kills | tostring) + ":" + .state' 2>&1 | sort | tr '\n' ' ')" \
        '^hog:[1-9][0-9]*:(running|ready) neighbour:0:(running|ready) $'
t_check "corral survived" sh -c "$CRUN state deleg | grep -q '\"running\"'"
$CRUN kill deleg TERM
wait $deleg_job
rc=$?
t_is "crun kill deleg TERM: exit 0 (no main service, a requested stop)" "$rc" 0 || show_console deleg
t_check "corral removed the leaves it made" sh -c "[ ! -e $cg/hog ] && [ ! -e $cg/neighbour ]"
$CRUN delete -f deleg >/dev/null 2>&1

# 5. Readiness upward: NOTIFY_SOCKET in crun's environment.
/bin/notify-listen $O/notify.sock $O/notify.log &
listen_job=$!
t_wait 10 test -S $O/notify.sock
mkbundle ready ready "$(args '["/corral"]')"
NOTIFY_SOCKET=$O/notify.sock $CRUN run -b $O/ready ready >$O/ready/out/console 2>&1 </dev/null &
ready_job=$!
t_wait 60 grep -q READY=1 $O/notify.log || { t_diag "no READY=1"; show_console ready; }
tr=$(awk '/READY=1/ { print $1; exit }' $O/notify.log)
tb=$(cat $O/ready/out/b.t 2>/dev/null)
t_check "READY=1 reached crun's NOTIFY_SOCKET only after b was ready (b $tb s, READY $tr s)" \
        awk "BEGIN { exit !(\"$tb\" != \"\" && \"$tr\" != \"\" && $tr >= $tb) }"
$CRUN kill ready TERM
wait $ready_job
t_is "crun kill ready TERM: exit 0" "$?" 0
if grep -q STOPPING=1 $O/notify.log; then
        t_ok "STOPPING=1 reached crun's NOTIFY_SOCKET"
else
        t_skip "STOPPING=1 reached crun's NOTIFY_SOCKET" "crun $($CRUN --version | awk 'NR == 1 { print $3 }') relays READY=1 only, then closes the container's socket"
fi
t_diag "NOTIFY_SOCKET received: $(tr '\n' '|' <$O/notify.log)"
kill $listen_job
$CRUN delete -f ready >/dev/null 2>&1

# 6. Read-only root (root.readonly = true): corral needs only its run dir.
mkbundle ro - "$(args '["/corral", "--", "/bin/sh", "-c", "exit 6"]') | .root.readonly = true"
run_fg ro
rc=$?
t_is "read-only root without a tmpfs on /run: exit 1" "$rc" 1
t_like "it says what it needs" "$(cat $O/ro/out/console)" 'run directory "/run/corral": .*Read-only file system: corral needs a writable run directory'
mkbundle rotmp pod "$(args '["/corral"]') | .root.readonly = true | .mounts += [{\"destination\": \"/run\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"nodev\", \"mode=755\"]}]"
run_bg rotmp
rotmp_job=$RUN_PID
t_wait 60 grep -q web-start $O/rotmp/out/log || show_console rotmp
t_check "read-only root with a tmpfs on /run: the pod runs" grep -q web-start $O/rotmp/out/log
t_like "and answers corralctl" "$($CRUN exec rotmp /usr/bin/corralctl status 2>&1)" "web"
$CRUN kill rotmp TERM
wait $rotmp_job
t_is "and stops with web's status" "$?" 42
$CRUN delete -f rotmp >/dev/null 2>&1
true
