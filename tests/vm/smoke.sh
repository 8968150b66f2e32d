#!/bin/sh
# The VM tier's smoke test by hand (meson runs the same through vm_run):
# boots the cloud kernel with busybox, corral (and corralctl if given) and
# checks what every VM test relies on. TAP on stdout.
#   tests/vm/smoke.sh BUILD/corral [BUILD/corralctl]
here=$(dirname "$0")
exec "$here/run-vm.sh" --name smoke --guest "$here/guest/smoke.sh" --module overlay \
        --add "${1:?usage: smoke.sh PATH/TO/corral [PATH/TO/corralctl]}=/bin/corral" \
        ${2:+--add "$2=/bin/corralctl"}
