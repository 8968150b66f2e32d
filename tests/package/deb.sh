#!/bin/bash
# The Debian package: packaging/debian builds with dpkg-buildpackage from a
# copy of the tree (the source tree stays untouched), installs what
# packaging/debian/control promises, its programs run and its example
# config is valid, and lintian finds nothing but what the overrides
# explain.
set -u
SRC=${SRC:?}

for tool in dpkg-buildpackage dh lintian dpkg-deb; do
        if ! command -v "$tool" >/dev/null; then
                echo "1..0 # SKIP $tool not installed (./dev.sh installs dpkg-dev, debhelper, lintian)"
                exit 0
        fi
done
if ! missing=$(cd "$SRC/packaging" && dpkg-checkbuilddeps debian/control 2>&1); then
        echo "1..0 # SKIP build dependencies missing: ${missing#*: }"
        exit 0
fi

. "$(dirname "$0")/lib.sh"

# The tree as it is (tracked and new files, not build directories or
# ignored files), so that what is tested is what would be committed.
mkdir "$tmp/corral"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
                while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
                tar --null -T - -cf -) | tar -xf - -C "$tmp/corral"
else
        tar -C "$SRC" --exclude='./build*' --exclude=./tests/vm/cache -cf - . | tar -xf - -C "$tmp/corral"
fi
cp -r "$tmp/corral/packaging/debian" "$tmp/corral/debian"

if (cd "$tmp/corral" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
        ok "dpkg-buildpackage -us -uc -b builds"
else
        not_ok "dpkg-buildpackage -us -uc -b builds"
        tail -40 "$tmp/build.log" | diag
        done_testing
fi

debs=("$tmp"/corral_*.deb)
version=$(cd "$tmp/corral" && dpkg-parsechangelog -S Version)
if [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] && [ "$(dpkg-deb -f "${debs[0]}" Version)" = "$version" ]; then
        ok "one package, corral $version"
else
        not_ok "one package, corral $version: ${debs[*]}"
fi
deb=${debs[0]}

dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$tmp/files"
missing=
for f in /usr/sbin/corral /usr/bin/corralctl \
        /usr/share/man/man8/corral.8.gz /usr/share/man/man8/corralctl.8.gz \
        /usr/share/man/man5/corral.conf.5.gz \
        /etc/corral/conf.d/example.conf.sample \
        /usr/share/bash-completion/completions/corral \
        /usr/share/bash-completion/completions/corralctl \
        /lib/systemd/system/corral.service \
        /usr/share/doc/corral/copyright; do
        grep -qxF "$f" "$tmp/files" || missing+=" $f"
done
if [ -z "$missing" ]; then
        ok "it holds the programs, man pages, completion, unit, conf.d example"
else
        not_ok "missing from the package:$missing"
        diag <"$tmp/files"
fi

# Nothing of the test tier or the build leaks in.
extra=$(grep -E 'test|helper|fuzz|\.a$|/include/' "$tmp/files" || true)
if [ -z "$extra" ]; then
        ok "no test programs, libraries or headers in the package"
else
        not_ok "unexpected files: $(echo $extra)"
fi

dpkg-deb -e "$deb" "$tmp/control"
if grep -qxF /etc/corral/conf.d/example.conf.sample "$tmp/control/conffiles"; then
        ok "the conf.d example is a conffile"
else
        not_ok "conffiles: $(cat "$tmp/control/conffiles" 2>/dev/null)"
fi

# The unit is installed, not enabled or started by the maintainer scripts
# (debhelper's postinst enables it again only where the admin had).
if ! grep -qs deb-systemd-invoke "$tmp/control/postinst" &&
        awk '/^[[:space:]]*#/ { next }
             /deb-systemd-helper enable/ && prev !~ /was-enabled/ { bad = 1 }
             { prev = $0 } END { exit bad }' \
                "$tmp/control/postinst"; then
        ok "the unit is not enabled or started on install"
else
        not_ok "postinst enables or starts the unit"
        diag <"$tmp/control/postinst"
fi

dpkg-deb -x "$deb" "$tmp/root"
got=$("$tmp/root/usr/sbin/corral" --version 2>&1)
if [ "$got" = "corral ${version%%-*}" ]; then
        ok "the packaged corral runs: $got"
else
        not_ok "corral --version: $got (changelog: $version)"
fi
got=$("$tmp/root/usr/bin/corralctl" --version 2>&1)
if [ "$got" = "corralctl ${version%%-*}" ]; then
        ok "the packaged corralctl runs: $got"
else
        not_ok "corralctl --version: $got"
fi

if out=$("$tmp/root/usr/sbin/corral" --check -c "$tmp/root/etc/corral/conf.d/example.conf.sample" 2>&1); then
        ok "the conf.d example passes corral --check"
else
        not_ok "corral --check of the conf.d example"
        diag <<<"$out"
fi

if man -l "$tmp/root/usr/share/man/man8/corralctl.8.gz" 2>/dev/null | grep -q corralctl ||
        ! command -v man >/dev/null; then
        ok "the man pages are readable"
else
        not_ok "man -l corralctl.8.gz"
fi

if cmp -s "$tmp/root/lib/systemd/system/corral.service" "$SRC/packaging/corral.service"; then
        ok "the unit is packaging/corral.service"
else
        not_ok "the packaged unit differs from packaging/corral.service"
fi

# Overrides, each explained, are in packaging/debian/corral.lintian-overrides;
# an override that no longer matches is a tag of its own (unused-override).
changes=("$tmp"/corral_*.changes)
if out=$(lintian --fail-on error,warning,info,pedantic --pedantic --display-info --display-experimental \
        "${changes[0]}" 2>&1) && ! grep -q '^[EWIPX]:' <<<"$out"; then
        ok "lintian --pedantic: no tag, every override explained"
        grep -v 'running with root privileges' <<<"$out" | diag
else
        not_ok "lintian finds tags"
        diag <<<"$out"
fi

done_testing
