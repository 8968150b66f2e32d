#!/bin/sh
# VM tier smoke test: boots the cloud kernel with busybox and corral and
# checks what every VM test relies on. TAP on stdout.
#   tests/vm/smoke.sh BUILD_DIR/corral
here=$(dirname "$0")
exec "$here/run-vm.sh" --name smoke --guest "$here/guest/smoke.sh" \
        --module overlay --add "${1:?usage: smoke.sh PATH/TO/corral}=/bin/corral" \
        --timeout "${CORRAL_VM_TIMEOUT:-120}"
