#!/bin/bash
# The exe wrapper of `meson test --setup valgrind`: runs a test's corral and
# corralctl under memcheck, and fails the test when memcheck reports
# anything (an invalid access, an uninitialised read, a definite leak).
#
# A test program that is itself a binary runs under memcheck directly.  A
# test script gets, in place of the corral and corralctl it was given (in
# $CORRAL, $CORRALCTL or as arguments), shims that exec them under memcheck,
# so that the script and the services it starts run natively.
set -u
logs=$(mktemp -d /tmp/corral-valgrind.XXXXXX)
trap 'rm -rf "$logs"' EXIT
vg=(valgrind --tool=memcheck --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --suppressions="$(dirname "$(realpath "$0")")/valgrind.supp"
    --log-file="$logs/%p.log")

is_elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

shim() { # BINARY: a script that runs it under memcheck; prints its path
        local s="$logs/shim-$(basename "$1")"
        printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${vg[*]}" "$(realpath "$1")" >"$s"
        chmod 755 "$s"
        echo "$s"
}

if is_elf "$1"; then
        "${vg[@]}" "$@"
        rc=$?
else
        args=()
        for a in "$@"; do
                case "$(basename "$a")" in
                corral | corralctl) is_elf "$a" && a=$(shim "$a") ;;
                esac
                args+=("$a")
        done
        [ -n "${CORRAL:-}" ] && is_elf "$CORRAL" && CORRAL=$(shim "$CORRAL") && export CORRAL
        [ -n "${CORRALCTL:-}" ] && is_elf "$CORRALCTL" && CORRALCTL=$(shim "$CORRALCTL") && export CORRALCTL
        "${args[@]}"
        rc=$?
fi
found=0
for l in "$logs"/*.log; do
        [ -s "$l" ] || continue
        found=1
        sed 's/^/# memcheck: /' "$l" | head -40
done
[ "$found" -eq 0 ] || exit 1
exit $rc
