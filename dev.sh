#!/bin/bash
# One entry point for a fresh Debian 12 machine (as root): installs what is
# missing, configures and builds, then runs an example or the test suite.
#
#   ./dev.sh example [CONFIG]   build, then run corral in the foreground on
#                               conf.d-examples/demo (Ctrl-C stops the pod)
#   ./dev.sh test               build plain and ASan+UBSan, run every test tier,
#                               then corral and corralctl under valgrind for the
#                               tests that take it; end with "N passed, N failed"
#   ./dev.sh fuzz [SECONDS]     build the libFuzzer targets (clang) and run each
#                               for SECONDS (60) on its corpus in tests/fuzz/corpus
set -euo pipefail
cd "$(dirname "$0")"

pkgs=(meson ninja-build gcc pkg-config libconfig-dev libev-dev
      busybox-static cpio qemu-system-x86 util-linux iproute2 python3 procps valgrind)
# The package suite (tests/package): the Debian package's build and
# lintian, the completion's pkg-config path, the unit's verify, the manifest.
pkgs+=(dpkg-dev debhelper lintian bash-completion systemd python3-yaml)
# The oci tier (tests/oci): crun and jq go into the VM, readelf checks
# that what goes there is static.
pkgs+=(crun jq binutils)
fuzz_pkgs=(clang libclang-rt-14-dev)

install_deps() { # [PACKAGE...]: the default list, or these
        local missing=()
        (($#)) || set -- "${pkgs[@]}"
        for p in "$@"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
        done
        if ((${#missing[@]})); then
                echo "dev.sh: installing ${missing[*]}" >&2
                apt-get update -q >/dev/null
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
        fi
}

build() { # DIR [meson options...]
        local dir=$1; shift
        [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
        ninja -C "$dir" >/dev/null
}

count() { # LOG: passed and failed counts from meson's JSON test log
        python3 - "$1" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
}

# The tests run again with corral and corralctl under memcheck
# (tests/valgrind-wrap.sh): the config loader on every error case, the
# parsers' unit tests and the fuzz corpora.  Not here: tests in which corral
# starts services, since valgrind 3.19 (Debian 12) implements neither
# pidfd_open nor clone3, without which corral cannot spawn; and the tests
# that time events in milliseconds, which memcheck slows twentyfold.
valgrind_tests=(config-errors config-values config-signals config-load config-limits config-good
                config-bounds config-syntax control-parsers notify
                fuzz-replay-config fuzz-replay-control fuzz-replay-notify fuzz-replay-values
                fuzz-replay-output fuzz-replay-lines)
fuzz_targets=(config control notify values output lines)

fuzz_summary() { # TARGET LOG: executions, coverage and findings of one run
        local units cov
        units=$(sed -n 's/^stat::number_of_executed_units: //p' "$2" | tail -1)
        cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$2" | tail -1)
        printf 'fuzz %-8s %s executions, %s\n' "$1" "${units:-?}" "${cov:-no coverage reported}"
        grep -E '^(SUMMARY|==[0-9]+== ERROR)|Test unit written|broken:' "$2" | sed 's/^/    /' || true
}

case "${1:-}" in
example)
        install_deps
        build build
        exec ./build/corral -c "${2:-conf.d-examples/demo}" --run-dir /run/corral-demo
        ;;
test)
        install_deps
        build build
        build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dvm_tests=disabled
        rc=0
        meson test -C build --print-errorlogs --num-processes 2 || rc=1
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite vm --no-suite package || rc=1
        meson test -C build --setup valgrind --print-errorlogs --num-processes 2 "${valgrind_tests[@]}" || rc=1
        read -r p1 f1 s1 < <(count build/meson-logs/testlog.json)
        read -r p2 f2 s2 < <(count build-asan/meson-logs/testlog.json)
        read -r p3 f3 s3 < <(count build/meson-logs/testlog-valgrind.json)
        echo "$((p1 + p2 + p3)) passed, $((f1 + f2 + f3)) failed, $((s1 + s2 + s3)) skipped"
        exit $rc
        ;;
fuzz)
        install_deps
        install_deps "${fuzz_pkgs[@]}"
        secs=${2:-60}
        CC=clang build build-fuzz -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false \
                -Dvm_tests=disabled -Dc_args=-fsanitize=fuzzer-no-link -Dc_link_args=-fsanitize=fuzzer-no-link
        rc=0
        for t in "${fuzz_targets[@]}"; do
                # New inputs go to the work directory; the checked-in corpus
                # is only read (merge them in with -merge=1, see tests/fuzz).
                work=build-fuzz/fuzz/$t
                mkdir -p "$work"
                ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                        nice -n 19 "build-fuzz/tests/fuzz/fuzz-$t" -max_total_time="$secs" -timeout=30 \
                        -print_final_stats=1 -artifact_prefix="$work/" "$work" "tests/fuzz/corpus/$t" \
                        >"$work.log" 2>&1 || rc=1
                fuzz_summary "$t" "$work.log"
        done
        exit $rc
        ;;
*)
        sed -n '2,12p' "$0" >&2
        exit 2
        ;;
esac
