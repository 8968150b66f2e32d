#!/bin/bash
# corral -c BAD: exit status 2, every error on stderr as FILE:LINE: ...,
# and nothing started (each bad config also holds a valid service that
# would touch a marker file).  corral --check -c GOOD: exit 0 and the plan.
#
#   config-errors.sh /path/to/corral
set -u
corral=$(realpath "${1:?usage: config-errors.sh CORRAL}")
T=$(mktemp -d /tmp/corral-config-errors.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
M=$T/marker
n=0 failed=0

ok() { # COND-STATUS DESCRIPTION
        n=$((n + 1))
        if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# A valid service that would leave the marker behind if it ever ran.
TOUCH="{ name = \"toucher\"; command = [ \"/usr/bin/touch\", \"$M\" ]; type = \"oneshot\"; }"

# bad FILE EXPECTED [CORRAL ARGS...] < config text: writes FILE (and its
# directory), runs corral -c on the first argument after EXPECTED or FILE.
bad() {
        local file=$1 want=$2
        shift 2
        mkdir -p "$(dirname "$file")"
        sed "s|@TOUCH@|$TOUCH|g" > "$file"
        run_bad "$want" -c "${1:-$file}"
}

run_bad() { # EXPECTED ARGS...
        local want=$1
        shift
        rm -f "$M"
        timeout 20 "$corral" "$@" > out 2> err
        local rc=$?
        local found=1
        grep -qF -- "$want" err && found=0
        ok $((rc != 2 || found != 0)) "corral $* -> exit 2 and \"$want\""
        [ "$rc" -eq 2 ] || echo "#   exit status $rc"
        [ "$found" -eq 0 ] || sed 's/^/#   stderr: /' err | head -5
        [ ! -e "$M" ]
        ok $? "  nothing started"
}

bad syntax.conf 'syntax.conf:3: syntax error' <<'X'
services = ( @TOUCH@,
  { name = "a";
    command = [ "/bin/true" ; }
);
X
bad unknown-key.conf 'unknown-key.conf:3: service "a": colour: unknown key' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ];
    colour = "red"; } );
X
bad wrong-type.conf 'wrong-type.conf:2: service "a": stop_timeout_ms: expected an integer, got a string' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ]; stop_timeout_ms = "5s"; } );
X
bad size.conf 'size.conf:3: service "db": memory_max: "12Q" is not a size' <<'X'
services = ( @TOUCH@,
  { name = "db"; command = [ "/bin/true" ];
    cgroup = { memory_max = "12Q"; }; } );
X
bad zero.conf 'zero.conf:2: group "pod": pids_max: 0 must be a positive integer or "max"' <<'X'
groups = ( { path = "pod";
  pids_max = 0; } );
services = ( @TOUCH@ );
X
bad negative.conf 'negative.conf:2: service "a": restart_delay_ms: -1: must not be negative' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ]; restart_delay_ms = -1; } );
X
bad weight.conf 'weight.conf:1: group "pod": cpu_weight: 0 must be an integer between 1 and 10000' <<'X'
groups = ( { path = "pod"; cpu_weight = 0; } );
services = ( @TOUCH@ );
X
mkdir -p dup
sed "s|@TOUCH@|$TOUCH|g" > dup/10-a.conf <<'X'
services = ( @TOUCH@, { name = "web"; command = [ "/bin/true" ]; } );
X
bad dup/20-b.conf 'dup/20-b.conf:3: service "web": duplicate name, first declared at dup/10-a.conf:1' dup <<'X'
# a second file with the same service name
services = (
  { name = "web"; command = [ "/bin/true" ]; } );
X
bad after.conf 'after.conf:2: service "web": after: no service called "db"' <<'X'
services = ( @TOUCH@,
  { name = "web"; command = [ "/bin/true" ]; after = [ "db" ]; } );
X
bad cycle.conf 'cycle.conf:2: service "a": after: cycle a -> b -> c -> a' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ]; after = [ "b" ]; },
  { name = "b"; command = [ "/bin/true" ]; after = [ "c" ]; },
  { name = "c"; command = [ "/bin/true" ]; after = [ "a" ]; } );
X
bad path.conf 'path.conf:3: service "a": command: "no-such-command-corral" not found in PATH' <<'X'
services = ( @TOUCH@,
  { name = "a";
    command = [ "no-such-command-corral" ]; } );
X
bad init.conf 'init.conf:2: service "init": name: "init" is reserved' <<'X'
services = ( @TOUCH@,
  { name = "init"; command = [ "/bin/true" ]; } );
X
long=$(head -c 5000 /dev/zero | tr '\0' x)
bad long.conf 'long.conf:3: service "a": env.LONG: string longer than 4096 bytes' <<X
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ];
    env = { LONG = "$long"; }; } );
X
{ echo "services = ( @TOUCH@ );"; yes '# 2 MiB of comment lines after a valid service' | head -c 2097152; } > big.in
bad big.conf 'big.conf: file is larger than 1 MiB' < big.in
bad missing-cmd.conf 'missing-cmd.conf:2: service "a": command: missing' <<'X'
services = ( @TOUCH@,
  { name = "a"; } );
X
bad restart.conf 'restart.conf:2: service "a": restart: "sometimes": expected' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ]; restart = "sometimes"; } );
X
bad signal.conf 'signal.conf:2: service "a": stop_signal: "SIGNOPE" is not a signal name or number' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ]; stop_signal = "SIGNOPE"; } );
X
bad user.conf 'user.conf:2: service "a": user: no such user "no-such-user-corral"' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ]; user = "no-such-user-corral"; } );
X
bad cpumax.conf 'cpumax.conf:2: service "a": cpu_max: "fast" is not "QUOTA PERIOD" or "max"' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ]; cgroup = { cpu_max = "fast"; }; } );
X
bad groupns.conf 'groupns.conf:1: group "pod": namespaces.pid: not allowed in a group' <<'X'
groups = ( { path = "pod"; namespaces = { pid = true; }; } );
services = ( @TOUCH@ );
X
bad overlay.conf 'overlay.conf:3: service "a": root.overlay.work: upper and work go together' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ];
    root = { overlay = { lower = [ "/srv" ]; upper = "/srv/up"; }; }; } );
X
bad toplevel.conf 'toplevel.conf:2: servics: unknown key' <<'X'
services = ( @TOUCH@ );
servics = ( );
X
bad include.conf 'include.conf:2: @include "inc/none.conf": No such file or directory' <<'X'
services = ( @TOUCH@ );
@include "inc/none.conf"
X
bad selfinc.conf 'selfinc.conf:2: @include "selfinc.conf": include cycle: "selfinc.conf" -> "selfinc.conf"' <<'X'
services = ( @TOUCH@ );
@include "selfinc.conf"
@include "selfinc.conf"
X
bad leak.conf 'leak.conf:2: syntax error: unexpected string' <<'X'
services = ( @TOUCH@ );
a = 1 "abc"
X
bad settings.conf 'settings.conf:2: settings: shutdown_timeout_ms: 0: must be positive' <<'X'
settings = {
  shutdown_timeout_ms = 0; };
services = ( @TOUCH@ );
X

# Several errors in one file: all of them are reported.
bad many.conf 'many.conf:4: service "c": type: "forking"' <<'X'
services = ( @TOUCH@,
  { name = "a"; command = [ "/bin/true" ]; colour = 1; },
  { name = "b"; command = [ "/bin/true" ]; output = "file:rel"; },
  { name = "c"; command = [ "/bin/true" ]; type = "forking"; } );
X
grep -qF 'many.conf:2: service "a": colour: unknown key' err && grep -qF 'many.conf:3: service "b": output' err
ok $? "every error of a file is reported"

run_bad 'none.conf: No such file or directory' -c none.conf

# The same refusals under --check.
run_bad 'cycle.conf:2: service "a": after: cycle a -> b -> c -> a' --check -c cycle.conf

# A good config: --check prints the plan, exits 0 and starts nothing.
cat > good.conf <<X
# No cgroup2 hierarchy of its own here: limits are planned, not applied.
settings = { cgroups = "optional"; };
services = (
  { name = "web"; command = [ "/bin/sleep", "1000" ]; after = [ "setup" ];
    cgroup = { path = "pod/web"; pids_max = 10; }; },
  $TOUCH,
  { name = "setup"; command = [ "true" ]; type = "oneshot"; after = [ "toucher" ]; }
);
X
rm -f "$M"
timeout 20 "$corral" --check -c good.conf > out 2> err
ok $? "corral --check -c good.conf exits 0"
sed 's/^/#   stderr: /' err | head -5
grep -q 'toucher' out && grep -q 'setup' out && grep -q 'web' out
ok $? "  the plan names every service"
awk '/toucher/ && !t { t = NR } / setup/ && !s { s = NR } / web/ && !w { w = NR } END { exit !(t && s && w && t < s && s < w) }' out
ok $? "  in start order: toucher, setup, web"
[ ! -e "$M" ]
ok $? "  nothing started"

echo "1..$n"
[ "$failed" -eq 0 ]
