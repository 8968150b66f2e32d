#!/bin/bash
# corral's command line: what needs no namespace and starts nothing.
: "${CORRAL:?CORRAL must name the corral binary}"
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/corral-test.XXXXXX)
trap cleanup EXIT

"$CORRAL" --version >"$T/out" 2>&1
is "$?:$(cat "$T/out")" "0:corral $(sed -n "s/^  version: '\(.*\)',/\1/p" "$(dirname "$0")/../../../meson.build")" \
        "--version prints the version"
"$CORRAL" --help >"$T/out" 2>&1
[ $? = 0 ] && grep -q -- '--cgroup-root' "$T/out" && grep -q -- '-- COMMAND' "$T/out"
ok $? "--help lists the options"
"$CORRAL" --bogus >"$T/out" 2>&1
is "$?" 2 "an unknown option is a usage error: 2"
"$CORRAL" --log-level loud -- true >"$T/out" 2>&1
is "$?" 2 "a bad --log-level: 2"
grep -q '"loud" is not error, warn, info or debug' "$T/out"
ok $? "... naming the bad value"
"$CORRAL" -c "$T/missing.conf" >"$T/out" 2>&1
is "$?" 2 "a missing config file: 2"
grep -q "$T/missing.conf" "$T/out"
ok $? "... naming the file"
printf 'services = ( { name = "x"; command = [ "/bin/true" ]; bogus = 1; } );\n' >"$T/bad.conf"
"$CORRAL" -c "$T/bad.conf" -- /bin/sh -c "touch $T/started" >"$T/out" 2>&1
is "$?" 2 "a config error with an entrypoint: 2"
[ ! -e "$T/started" ]
ok $? "... and nothing was started"
printf 'services = ( { name = "x"; command = [ "/bin/true" ]; } );\n' >"$T/good.conf"
"$CORRAL" --check -c "$T/good.conf" >"$T/out" 2>&1
[ $? = 0 ] && grep -q 'x' "$T/out"
ok $? "--check of a good config exits 0 and prints the plan"

done_testing
