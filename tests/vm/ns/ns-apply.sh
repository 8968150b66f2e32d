# Namespaces and roots from an initramfs: the kernel tests of src/ns/
# (tests/integration/ns/ns-apply.c) run where / is the initramfs, so every
# root goes through pivot_root's fallback (move the new root over /, chroot),
# with overlayfs loaded from the module.
. /lib/vmtest.sh
t_like "/ is the initramfs" "$(stat -f -c %T /)" '^(ramfs|tmpfs)$'
t_check "overlay is in /proc/filesystems" grep -qw overlay /proc/filesystems
NS_BUSYBOX=/bin/busybox /bin/ns-apply >/tmp/ns-apply.tap 2>&1
rc=$?
sed -n -e 's/^ok [0-9]* - /ok - /p' -e 's/^not ok [0-9]* - /not ok - /p' -e '/^#/p' /tmp/ns-apply.tap |
        while IFS= read -r l; do t_out "$l"; done
t_is "ns-apply exited 0" "$rc" 0
