#!/bin/bash
# One entry point for a fresh Debian 12 machine (as root): installs what is
# missing, configures and builds, then runs an example or the test suite.
#
#   ./dev.sh example [CONFIG]   build, then run corral in the foreground on
#                               conf.d-examples/demo (Ctrl-C stops the pod)
#   ./dev.sh test               build plain and ASan+UBSan, run every test tier,
#                               end with "N passed, N failed"
set -euo pipefail
cd "$(dirname "$0")"

pkgs=(meson ninja-build gcc pkg-config libconfig-dev libev-dev libsystemd-dev
      busybox-static cpio qemu-system-x86 util-linux iproute2 python3 procps)

install_deps() {
        local missing=()
        for p in "${pkgs[@]}"; do
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

count() { # DIR: passed and failed counts from meson's JSON test log
        python3 - "$1/meson-logs/testlog.json" <<'PY'
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

case "${1:-}" in
example)
        install_deps
        build build
        exec ./build/corral -c "${2:-conf.d-examples/demo}" --run-dir /run/corral-demo
        ;;
test)
        install_deps
        build build
        build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dvm_tests=disabled -Dsystemd=enabled
        rc=0
        meson test -C build --print-errorlogs --num-processes 2 || rc=1
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite vm || rc=1
        read -r p1 f1 s1 < <(count build)
        read -r p2 f2 s2 < <(count build-asan)
        echo "$((p1 + p2)) passed, $((f1 + f2)) failed, $((s1 + s2)) skipped"
        exit $rc
        ;;
*)
        sed -n '2,10p' "$0" >&2
        exit 2
        ;;
esac
