#!/usr/bin/env python3
"""Boot a test in a throw-away VM on Debian's cloud kernel and report TAP.

The VM tier exists because the build machine's cgroup2 mount offers almost
no controllers: a real kernel under qemu (TCG) gives all of them, and lets
corral run as the machine's real PID 1.

An initramfs is built per run from busybox-static, the files given with
--add (ELF files bring their shared libraries, found with ldd), the kernel
modules given with --module, the guest library (/lib/vmtest.sh) and, in
script mode, a generated /init. Two serial ports: ttyS0 is the console
(kept in console.log), ttyS1 is the result channel the guest writes TAP to
(results.log), so kernel messages never tear a result line apart. Lines of
the console holding "VMTAP: " count too (the marker and what precedes it
are dropped): that is how results get out before /dev is mounted.

Results are renumbered in order and printed as clean TAP on stdout, followed
by the harness's own checks (how the VM ended) and the plan. See README.md.
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "VMTAP: "
INIT_TAG = "@init "
CMDLINE = "console=ttyS0 panic=-1 cgroup_no_v1=all cryptomgr.notests quiet"

# Last words of the kernel, in the order they are checked; the timestamp
# keeps a guest's own output from passing for them.
KMSG = r"\[\s*\d+\.\d+\] "
ENDINGS = [
    ("panic", re.compile(KMSG + r"Kernel panic - not syncing: ?(.*)")),
    ("poweroff", re.compile(KMSG + r"reboot: Power down")),
    ("reboot", re.compile(KMSG + r"reboot: Restarting system")),
    ("halt", re.compile(KMSG + r"reboot: System halted")),
]
HALTED = dict(ENDINGS)["halt"]


class Skip(Exception):
    """The VM cannot be had on this machine (no qemu, no kernel)."""


class Failure(Exception):
    """The harness itself could not do its job (bad input, image build)."""


def fetch_kernel():
    """Run fetch-kernel.sh; return its KEY=VALUE answer as a dict."""
    proc = subprocess.run([os.path.join(HERE, "fetch-kernel.sh")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()
        reason = reason[-1] if reason else f"exit {proc.returncode}"
        raise Skip(reason.removeprefix("fetch-kernel: "))
    env = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition("=")
        env[key] = shlex.split(value)[0] if value else ""
    return env


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def shared_libs(path):
    """Absolute paths of the libraries and the loader a dynamic ELF needs."""
    proc = subprocess.run(["ldd", path], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:  # static, or not an executable at all
        return []
    libs = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            raise Failure(f"{path}: {line}")
        m = re.match(r"\S+ => (/\S+)", line) or re.match(r"(/\S+) \(", line)
        if m:
            libs.append(m.group(1))
    return libs


def module_index(moddir):
    """Map module name (with '_' for '-') to its .ko path."""
    index = {}
    for root, _, files in os.walk(os.path.join(moddir, "kernel")):
        for name in files:
            if name.endswith(".ko"):
                index[name[:-3].replace("-", "_")] = os.path.join(root, name)
    return index


def module_depends(path):
    with open(path, "rb") as f:
        for field in f.read().split(b"\0"):
            if field.startswith(b"depends="):
                return [d for d in field[8:].decode().split(",") if d]
    return []


class Image:
    """A staging tree that becomes the initramfs."""

    def __init__(self, root):
        self.root = root
        self.modules = []  # load order: dependencies first
        self.libs = {}  # ELF in the image -> the libraries it needs

    def path(self, dest):
        return os.path.join(self.root, dest.lstrip("/"))

    def mkdir(self, dest):
        os.makedirs(self.path(dest), exist_ok=True)

    def write(self, dest, text, mode=0o644):
        p = self.path(dest)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)

    def copy(self, src, dest):
        p = self.path(dest)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if os.path.lexists(p) and not os.path.isdir(p):
            os.unlink(p)  # e.g. a busybox applet link being replaced
        shutil.copy(src, p)  # follows symlinks: the image gets real files
        if is_elf(src):
            self.libs[dest] = shared_libs(src)
            for lib in self.libs[dest]:
                if not os.path.exists(self.path(lib)):
                    self.copy(lib, lib)

    def add(self, src, dest):
        if not os.path.exists(src):
            raise Failure(f"--add {src}: no such file")
        if os.path.isdir(src):
            for root, _, files in os.walk(src):
                rel = os.path.relpath(root, src)
                for name in files:
                    self.copy(os.path.join(root, name),
                              os.path.normpath(os.path.join(dest, rel, name)))
        else:
            self.copy(src, dest)

    def add_busybox(self, busybox):
        self.copy(busybox, "/bin/busybox")
        applets = subprocess.run([busybox, "--list-full"], check=True, text=True,
                                 stdout=subprocess.PIPE).stdout.split()
        for applet in applets:
            p = self.path(applet)
            if not os.path.lexists(p):
                os.makedirs(os.path.dirname(p), exist_ok=True)
                os.symlink("/bin/busybox", p)

    def add_module(self, name, index, seen=None):
        seen = set() if seen is None else seen
        key = name.replace("-", "_")
        if key in seen or key in self.modules:
            return
        seen.add(key)
        if key not in index:
            raise Failure(f"--module {name}: no {name}.ko in the kernel's modules")
        for dep in module_depends(index[key]):
            self.add_module(dep, index, seen)
        self.copy(index[key], f"/lib/modules/{key}.ko")
        self.modules.append(key)

    def pack(self, out):
        """cpio newc, owned by root, gzip'd (the kernel unpacks it itself)."""
        # For vm_populate in the guest, which has no ldd.
        self.write("/etc/vmtest/libs", "".join(
            f"{dest} {' '.join(libs)}\n" for dest, libs in sorted(self.libs.items())))
        names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=self.root, check=True,
                               text=True, stdout=subprocess.PIPE).stdout
        with open(out, "wb") as f:
            cpio = subprocess.Popen(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"],
                                    cwd=self.root, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE)
            gz = subprocess.Popen(["gzip", "-1"], stdin=cpio.stdout, stdout=f)
            cpio.stdout.close()
            cpio.communicate("".join(n + "\n" for n in sorted(names.split("\n")) if n).encode())
            if cpio.wait() != 0 or gz.wait() != 0:
                raise Failure("building the initramfs failed")


def init_script(modules):
    """/init of script mode: a minimal machine, then the guest script."""
    loads = "".join(f"load_module {m}\n" for m in modules)
    return f"""#!/bin/sh
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root
. /lib/vmtest.sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
vmtest_channel
mkdir -p /dev/pts /dev/shm /sys/fs/cgroup
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup || t_out "@init not ok - mount cgroup2 on /sys/fs/cgroup"
hostname vmtest
load_module() {{
        insmod /lib/modules/$1.ko || t_out "@init not ok - insmod $1"
}}
{loads}cd /test
sh /test/guest.sh </dev/null >/dev/console 2>&1
rc=$?
if [ $rc = 0 ]; then t_out "@init ok - guest script exited 0"
else t_out "@init not ok - guest script exited $rc"; fi
sync
poweroff -f
"""


def pid1_trampoline(argv, modules):
    """/init of pid1 mode when modules must be loaded first: insmod, then exec."""
    loads = "".join(f"insmod /lib/modules/{m}.ko\n" for m in modules)
    return f"#!/bin/sh\n{loads}exec {shlex.join(argv)}\n"


def kernel_arg(word):
    if re.search(r'[\s"]', word):
        if '"' in word:
            raise Failure(f"cannot pass {word!r} on the kernel command line")
        return f'"{word}"'
    return word


def default_dest(src):
    name = os.path.basename(os.path.normpath(src))
    if os.path.isfile(src) and (is_elf(src) or os.access(src, os.X_OK)):
        return "/bin/" + name
    if name.endswith(".conf"):
        return "/etc/corral/" + name
    return "/test/" + name


def build_image(args, env, work):
    root = os.path.join(work, "root")
    shutil.rmtree(root, ignore_errors=True)
    img = Image(root)
    for d in ("proc", "sys", "dev", "run", "tmp", "root", "test", "etc/corral", "var/tmp"):
        img.mkdir(d)
    img.add_busybox(env["VM_BUSYBOX"])
    img.write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
              "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    img.write("/etc/group", "root:x:0:\nnogroup:x:65534:\n")
    img.copy(os.path.join(HERE, "guest", "vmtest.sh"), "/lib/vmtest.sh")
    if args.modules:
        index = module_index(env["VM_MODDIR"])
        for m in args.modules:
            img.add_module(m, index)
    for spec in args.add:
        src, sep, dest = spec.partition("=")
        img.add(src, dest if sep else default_dest(src))
    if args.guest:
        img.copy(args.guest, "/test/guest.sh")
    if args.pid1:
        argv = shlex.split(args.pid1)
        if not argv or not argv[0].startswith("/"):
            raise Failure("--pid1 needs an absolute path of a program in the image")
        if not os.path.exists(img.path(argv[0])):
            raise Failure(f"--pid1 {argv[0]}: not in the image (add it with --add)")
        if img.modules:
            img.write("/init", pid1_trampoline(argv, img.modules), 0o755)
            cmdline = "rdinit=/init"
        else:
            cmdline = f"rdinit={argv[0]}"
            if len(argv) > 1:
                cmdline += " -- " + " ".join(kernel_arg(a) for a in argv[1:])
    else:
        if not args.guest:
            raise Failure("give --guest SCRIPT, or --pid1 COMMAND")
        img.write("/init", init_script(img.modules), 0o755)
        cmdline = "rdinit=/init"
    initrd = os.path.join(work, "initrd.gz")
    img.pack(initrd)
    return initrd, cmdline


def boot(args, env, work, initrd, cmdline):
    """Run qemu until it exits, the guest halts, or the timeout. Writes what
    stopped it to WORK/stopped ("timeout", "halt" or "exit N"); returns the
    seconds it ran."""
    console = os.path.join(work, "console.log")
    results = os.path.join(work, "results.log")
    for p in (console, results):
        open(p, "w").close()
    append = " ".join([CMDLINE] + args.append + [cmdline])
    qemu = [env["VM_QEMU"], "-accel", "tcg", "-cpu", "max", "-smp", "1",
            "-m", str(args.mem), "-nodefaults", "-no-user-config", "-no-reboot",
            "-display", "none", "-monitor", "none",
            "-kernel", env["VM_KERNEL"], "-initrd", initrd, "-append", append,
            "-serial", f"file:{console}", "-serial", f"file:{results}"] + args.qemu_arg
    with open(os.path.join(work, "qemu.cmd"), "w") as f:
        f.write(shlex.join(qemu) + "\n")
    start = time.monotonic()
    with open(os.path.join(work, "qemu.stderr"), "w") as err:
        proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL,
                                stdout=err, stderr=err)
    stopped = None
    while stopped is None:
        try:
            stopped = f"exit {proc.wait(timeout=0.2)}"
            break
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() - start > args.timeout:
            stopped = "timeout"
        elif HALTED.search(read_text(console)):
            stopped = "halt"  # a halted guest does not end qemu
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with open(os.path.join(work, "stopped"), "w") as f:
        f.write(stopped + "\n")
    return time.monotonic() - start


def ending(work):
    """How the run in WORK ended: (poweroff|reboot|halt|panic|timeout|
    "qemu exit N", detail), from what stopped qemu and the kernel's last
    words on the console."""
    stopped = read_text(os.path.join(work, "stopped")).strip()
    if stopped == "timeout":
        return "timeout", ""
    text = read_text(os.path.join(work, "console.log"))
    for name, rx in ENDINGS:
        m = rx.search(text)
        if m:
            return name, (m.group(1).strip() if m.groups() else "")
    return f"qemu {stopped or 'did not run'}", read_text(
        os.path.join(work, "qemu.stderr")).strip()


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


TAP_RESULT = re.compile(r"^(not ok|ok)\b(?:\s+\d+)?(?:\s*-)?\s*(.*)$")
TAP_PLAN = re.compile(r"^1\.\.(\d+)")


def guest_lines(work):
    """TAP lines the guest reported: those of the console that carry the
    marker (what was printed before /dev existed, or through corral's
    console), then the result channel's."""
    console = [l.rstrip("\r").split(MARKER, 1)[1]
               for l in read_text(os.path.join(work, "console.log")).splitlines()
               if MARKER in l]
    channel = [l.rstrip("\r")
               for l in read_text(os.path.join(work, "results.log")).splitlines()]
    return console + [l.split(MARKER, 1)[1] if MARKER in l else l for l in channel]


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, desc):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {desc}", flush=True)

    def diag(self, text):
        for line in text.splitlines():
            print(f"# {line}", flush=True)


def report(tap, lines):
    """Re-emit guest TAP renumbered; check the guest's plan if it gave one."""
    planned = None
    ran = 0
    for line in lines:
        own = line.startswith(INIT_TAG)  # /init's own checks: not in the guest's plan
        line = line.removeprefix(INIT_TAG)
        m = TAP_RESULT.match(line)
        if m:
            ran += 0 if own else 1
            tap.result(m.group(1) == "ok", m.group(2) or "(no description)")
        elif TAP_PLAN.match(line):
            planned = int(TAP_PLAN.match(line).group(1))
        elif line.startswith("#"):
            print(line, flush=True)
        elif line.startswith("Bail out!"):
            tap.result(False, "guest: " + line)
    return planned, ran


def console_tail(work, n):
    """The last N lines of the console; after a panic, the N lines up to the
    panic's reason, since the stack dump after it says little about a test."""
    lines = read_text(os.path.join(work, "console.log")).splitlines()
    for i, line in enumerate(lines):
        if "Kernel panic - not syncing" in line:
            lines = lines[:i + 1]
            break
    return "\n".join(lines[-n:])


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Boot a test in a VM on Debian's cloud kernel; print TAP.")
    p.add_argument("--guest", help="guest script (busybox sh), run by /init; "
                   "in --pid1 mode only copied to /test/guest.sh")
    p.add_argument("--add", action="append", default=[], metavar="SRC[=DEST]",
                   help="file or directory to put in the image; ELF files bring their "
                   "libraries. DEST defaults to /bin/NAME for executables, "
                   "/etc/corral/NAME for *.conf, else /test/NAME")
    p.add_argument("--module", action="append", default=[], dest="modules",
                   metavar="NAME", help="kernel module (and its dependencies) to "
                   "put in /lib/modules/NAME.ko and load before the test")
    p.add_argument("--pid1", metavar="'CMD ARG...'",
                   help="appliance mode: CMD (in the image) is the machine's PID 1")
    p.add_argument("--expect", default="poweroff",
                   choices=["poweroff", "reboot", "halt", "panic", "any"],
                   help="how the VM must end (default poweroff)")
    p.add_argument("--timeout", type=float, default=180,
                   help="seconds from qemu's start (default 180: a boot takes 4 s "
                   "on an idle machine, 10-30 s on a busy shared one)")
    p.add_argument("--mem", type=int, default=256, help="MiB (default 256)")
    p.add_argument("--append", action="append", default=[],
                   help="extra kernel command line words")
    p.add_argument("--qemu-arg", action="append", default=[],
                   help="extra qemu argument (repeat for each word)")
    p.add_argument("--name", help="name of the run (default: the guest script's)")
    p.add_argument("--work-dir", help="where the image and logs go (default: "
                   "$CORRAL_VM_WORK/NAME, which meson sets to BUILD/tests/vm/runs, "
                   "or a new directory in /tmp)")
    p.add_argument("--show-console", action="store_true",
                   help="copy the whole console log to stderr after the run")
    p.add_argument("--judge", metavar="WORK_DIR",
                   help="boot nothing: judge the run kept in WORK_DIR again "
                   "(e.g. with another --expect)")
    p.add_argument("--require", action="store_true",
                   default=os.environ.get("CORRAL_VM_REQUIRED") == "1",
                   help="a missing qemu or kernel is a failure, not a skip "
                   "(also CORRAL_VM_REQUIRED=1)")
    return p.parse_args(argv)


def work_dir(args):
    name = args.name or os.path.splitext(os.path.basename(args.guest or "pid1"))[0]
    if args.work_dir:
        d = args.work_dir
    elif os.environ.get("CORRAL_VM_WORK"):
        d = os.path.join(os.environ["CORRAL_VM_WORK"], name)
    else:
        return tempfile.mkdtemp(prefix=f"corral-vm-{name}-")
    os.makedirs(d, exist_ok=True)
    return d


def keep_failed(tap, work):
    """Copy the logs of a failed run aside: the next run reuses WORK."""
    dest = work.rstrip("/") + ".failed"
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for name in ("console.log", "results.log", "qemu.cmd", "qemu.stderr", "stopped"):
        if os.path.exists(os.path.join(work, name)):
            shutil.copy(os.path.join(work, name), dest)
    tap.diag(f"logs of this failed run kept in {dest}")


def judge(args, work, header):
    """Print the TAP verdict of the run in WORK; return the exit status."""
    tap = Tap()
    ended, detail = ending(work)
    tap.diag(f"{header}ended: {ended}; logs in {work}")
    planned, ran = report(tap, guest_lines(work))
    if planned is not None and planned != ran:
        tap.result(False, f"guest planned {planned} tests but reported {ran}")
    if ended == "timeout":
        tap.result(False, f"VM ended before the {args.timeout:.0f} s timeout")
    elif args.expect == "any":
        tap.result(True, f"VM ended ({ended})")
    else:
        what = ended + (f": {detail}" if detail else "")
        tap.result(ended == args.expect, f"VM ended by {args.expect} (it ended by {what})")
    if args.show_console:
        sys.stderr.write(read_text(os.path.join(work, "console.log")))
    elif tap.failed:
        tap.diag(f"last lines of {os.path.join(work, 'console.log')}:")
        tap.diag(console_tail(work, 40))
    if tap.failed and not args.judge:
        keep_failed(tap, work)
    print(f"1..{tap.n}", flush=True)
    return 1 if tap.failed else 0


def main(argv):
    args = parse_args(argv)
    if args.judge:
        return judge(args, args.judge, "")
    try:
        env = fetch_kernel()
        work = work_dir(args)
        t0 = time.monotonic()
        initrd, cmdline = build_image(args, env, work)
        t_image = time.monotonic() - t0
    except Skip as e:
        if args.require:
            print(f"Bail out! VM tier required but unavailable: {e}", flush=True)
            return 1
        print(f"1..0 # SKIP {e}", flush=True)
        return 0
    except (Failure, OSError, subprocess.CalledProcessError) as e:
        print(f"Bail out! {e}", flush=True)
        return 1
    secs = boot(args, env, work, initrd, cmdline)
    return judge(args, work, f"kernel {env['VM_KVER']}; image {t_image:.1f} s; "
                 f"VM {secs:.1f} s; ")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
