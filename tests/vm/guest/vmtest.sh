# Guest side of the VM test tier: sourced by busybox sh inside the VM as
# `. /lib/vmtest.sh`. Results go to the second serial port (/dev/ttyS1), which
# the harness reads apart from the kernel console; a copy goes to stdout for
# whoever reads the console log. Without /dev/ttyS1 (no /dev mounted yet) they
# go to stdout behind the "VMTAP: " marker, which the harness also reads.
# Test numbers are given by the harness: print results without them.
#
# Remember: busybox sh runs its own applets before anything in PATH, so call
# programs added to the image by their full path (/bin/corral, not corral).

vmtest_channel() {
        if [ -c /dev/ttyS1 ] && { : >>/dev/ttyS1; } 2>/dev/null; then
                VMTEST_OUT=/dev/ttyS1
        else
                VMTEST_OUT=
        fi
}
vmtest_channel

# t_out LINE: one raw TAP line (result, "# diagnostic", "1..N", "Bail out!").
t_out() {
        if [ -n "$VMTEST_OUT" ]; then
                echo "$*" >>"$VMTEST_OUT"
                echo "vmtest| $*"
        else
                echo "VMTAP: $*"
        fi
}

t_ok() { t_out "ok - $*"; }
t_fail() { t_out "not ok - $*"; }
t_skip() { t_out "ok - $1 # SKIP ${2:-}"; }
t_plan() { t_out "1..$1"; }
t_bail() { t_out "Bail out! $*"; }

# t_diag TEXT...: each line of each argument as a "# " diagnostic.
t_diag() {
        printf '%s\n' "$@" | while IFS= read -r _l; do t_out "# $_l"; done
}

# t_check DESC CMD [ARG...]: ok when CMD exits 0; its output becomes
# diagnostics when it fails.
t_check() {
        _d=$1
        shift
        if _o=$("$@" 2>&1); then
                t_ok "$_d"
        else
                t_fail "$_d (exit $?)"
                [ -n "$_o" ] && t_diag "$_o"
        fi
}

# t_is DESC GOT EXPECTED: ok when the strings are equal.
t_is() {
        if [ "$2" = "$3" ]; then
                t_ok "$1"
        else
                t_fail "$1"
                t_diag "got:      '$2'" "expected: '$3'"
        fi
}

# t_like DESC TEXT REGEX: ok when TEXT matches the extended REGEX (grep -E).
t_like() {
        if printf '%s\n' "$2" | grep -Eq -- "$3"; then
                t_ok "$1"
        else
                t_fail "$1"
                t_diag "got: '$2'" "expected to match: $3"
        fi
}

# t_run CMD [ARG...]: run a program that prints TAP itself and relay it as it
# comes: its results (numbered or not) become results here, its plan and any
# other line (stderr too) diagnostics, "Bail out!" a failure. Returns CMD's
# exit status.
t_run() {
        _rcf=/tmp/.t_run.$$
        { "$@"; echo $? >"$_rcf"; } 2>&1 | while IFS= read -r _l; do
                case $_l in
                "ok "* | "not ok "*)
                        _r=${_l%%ok*}ok
                        _d=${_l#"$_r"}
                        _d=${_d#" "}
                        case $_d in [0-9]*) _d=${_d#"${_d%%[!0-9]*}"} ;; esac
                        _d=${_d#" "}
                        t_out "$_r - ${_d#"- "}" ;;
                "Bail out!"*) t_out "not ok - $_l" ;;
                "#"*) t_out "$_l" ;;
                *) t_out "# $_l" ;;
                esac
        done
        _rc=$(cat "$_rcf" 2>/dev/null || echo 255)
        rm -f "$_rcf"
        return "$_rc"
}

# t_wait SECONDS CMD [ARG...]: poll CMD every 50 ms until it exits 0 (return 0)
# or SECONDS pass (return 1). For conditions that have no event to wait on.
t_wait() {
        _end=$(($(date +%s) + $1))
        shift
        while ! "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -lt "$_end" ] || return 1
                usleep 50000
        done
}

# vm_delegate NAME: a cgroup /sys/fs/cgroup/NAME with every controller the
# root offers enabled for it (what a container runtime hands to its payload).
# Prints the cgroup's path.
vm_delegate() {
        _cg=/sys/fs/cgroup/$1
        for _c in $(cat /sys/fs/cgroup/cgroup.controllers); do
                echo "+$_c" >/sys/fs/cgroup/cgroup.subtree_control || return 1
        done
        mkdir -p "$_cg" && echo "$_cg"
}

# vm_in_container CGROUP CMD [ARG...]: run CMD as PID 1 of new PID and mount
# namespaces (fresh /proc) inside CGROUP, in the foreground; returns its exit
# status (busybox unshare passes a signal death on as its own).
vm_in_container() {
        _cg=$1
        shift
        sh -c 'echo $$ >"$0/cgroup.procs" && exec unshare --pid --fork --mount-proc "$@"' \
                "$_cg" "$@"
}

# vm_container_start CGROUP CMD [ARG...]: the same in the background. Sets
# VM_JOB (for `wait $VM_JOB`, which gives CMD's exit status) and VM_PID (CMD's
# PID as seen from here, to signal it), or returns 1 when CMD did not show up
# within 10 s.
vm_container_start() {
        vm_in_container "$@" &
        VM_JOB=$!
        VM_PID=
        t_wait 10 _vm_find_ns_init "$VM_JOB" || return 1
        VM_PID=$(_vm_find_ns_init "$VM_JOB")
}

# _vm_find_ns_init PID: print the first descendant of PID that is PID 1 of
# its own namespace (its NSpid line ends in 1).
_vm_find_ns_init() {
        for _c in $(vm_children "$1"); do
                if grep -q "^NSpid:.*[[:space:]]1\$" "/proc/$_c/status" 2>/dev/null; then
                        echo "$_c"
                        return 0
                fi
                _vm_find_ns_init "$_c" && return 0
        done
        return 1
}

# vm_children PID: the PIDs whose parent is PID (e.g. the PID 1 of a
# namespace that `unshare --fork` started), one per line.
vm_children() {
        for _p in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do echo "$_p"; done
}

# vm_populate ROOT PATH...: copy each PATH of the image, and the shared
# libraries it was added with, to the same place under ROOT (a root
# filesystem or an overlay lower dir for a service). Busybox is static.
vm_populate() {
        _root=$1
        shift
        for _f in "$@"; do
                _libs=$(awk -v f="$_f" '$1 == f { $1 = ""; print }' /etc/vmtest/libs)
                for _x in "$_f" $_libs; do
                        mkdir -p "$_root${_x%/*}" && cp -L "$_x" "$_root$_x" || return 1
                done
        done
}
