"""Launching an init as PID 1 of a fresh PID namespace, reading the workload's
records, and reading what /proc says about the processes of a namespace."""

import os
import select
import signal
import struct
import subprocess
import time

REC = struct.Struct("<IiQ")  # kind, pid (in the namespace), CLOCK_MONOTONIC ns

BW = None  # path of the bw binary, set by the driver
BW_INIT = None  # a copy of it, for the floors' PID 1
LOGDIR = None

_live = []  # every Run not yet reaped: cleaned up on any exit of the harness


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


class BenchError(Exception):
    pass


class Records:
    """A fifo the services write 16-byte records to. Opened read-write so that
    writers never block on open and the reader never sees end-of-file."""

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        os.mkfifo(path, 0o600)
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        self.buf = b""
        self.recs = []

    def _drain(self):
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            self.buf += chunk
            n = len(self.buf) // REC.size * REC.size
            for i in range(0, n, REC.size):
                k, pid, ns = REC.unpack_from(self.buf, i)
                self.recs.append((chr(k), pid, ns))
            self.buf = self.buf[n:]

    def wait(self, pred, timeout):
        """Read records until pred(self.recs) holds or timeout seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            self._drain()
            if pred(self.recs):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            select.select([self.fd], [], [], left)

    def count(self, kind):
        return sum(1 for r in self.recs if r[0] == kind)

    def of(self, kind):
        return [r for r in self.recs if r[0] == kind]

    def close(self):
        os.close(self.fd)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def read_file_records(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    n = len(data) // REC.size * REC.size
    return [(chr(k), p, ns) for k, p, ns in REC.iter_unpack(data[:n])]


class Run:
    """One init as PID 1 of a new PID and mount namespace (bw ns)."""

    def __init__(self, argv, name, cwd=None, env=None):
        self.name = name
        self.exit = None
        r, w = os.pipe2(os.O_CLOEXEC)
        os.set_inheritable(w, True)
        log = open(os.path.join(LOGDIR, name.replace(" ", "_").replace("/", "_") + ".log"), "ab")
        log.write(("\n== %s\n" % " ".join(argv)).encode())
        log.flush()
        try:
            self.proc = subprocess.Popen([BW, "ns", str(w), "--"] + argv, pass_fds=[w],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         cwd=cwd, env=env)
        finally:
            os.close(w)
            log.close()
        _live.append(self)
        self.rfd = r
        self.rbuf = b""
        line = self._line(15)
        if not line or not line.startswith("pid "):
            self.kill()
            raise BenchError("%s: the namespace did not start" % name)
        _, pid, t0 = line.split()
        self.pid, self.t0 = int(pid), int(t0)
        try:
            self.pidfd = os.pidfd_open(self.pid)
        except ProcessLookupError:
            self.pidfd = None  # already gone: its exit line says how

    def _line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.rbuf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            rd, _, _ = select.select([self.rfd], [], [], left)
            if rd:
                chunk = os.read(self.rfd, 4096)
                if not chunk:
                    return None
                self.rbuf += chunk
        line, self.rbuf = self.rbuf.split(b"\n", 1)
        return line.decode()

    def signal(self, sig):
        if self.exit is None and self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, sig)
            except ProcessLookupError:
                pass

    def wait_exit(self, timeout):
        """(CLOCK_MONOTONIC ns when the init was reaped, exit code) or None."""
        if self.exit is None:
            line = self._line(timeout)
            if line and line.startswith("exit "):
                _, t, st = line.split()
                self.exit = (int(t), int(st))
        return self.exit

    def kill(self):
        """SIGKILL to the init: the kernel then kills the whole namespace."""
        if getattr(self, "pidfd", None) is not None and self.exit is None:
            self.signal(signal.SIGKILL)
            self.wait_exit(30)
        elif self.exit is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if getattr(self, "pidfd", None) is not None:
            os.close(self.pidfd)
            self.pidfd = None
        os.close(self.rfd)
        if self in _live:
            _live.remove(self)


# cgroups ---------------------------------------------------------------------
# corral takes the cgroup it is given with --cgroup-root as its own (it moves
# every process there into a leaf "init"), so each corral run gets a fresh,
# empty cgroup below one the harness made, removed after the run.

CGROUP_BASE = None
_cg_count = [0]


def cgroup_setup():
    global CGROUP_BASE
    mnt = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            a, b = line.split(" - ", 1)
            if b.split()[0] == "cgroup2":
                mnt = a.split()[4]
                break
    if not mnt:
        return None
    own = "/"
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                own = line[3:].strip()
    base = os.path.join(mnt + own, "corral-bench.%d" % os.getpid())
    try:
        os.mkdir(base)
    except OSError:
        return None
    CGROUP_BASE = base
    return base


def cgroup_new():
    if not CGROUP_BASE:
        return None
    _cg_count[0] += 1
    p = os.path.join(CGROUP_BASE, "r%d" % _cg_count[0])
    os.mkdir(p)
    return p


def cgroup_remove(path, timeout=5):
    """rmdir the tree bottom-up; a cgroup whose last process is still exiting
    stays busy for a moment, so retry until the deadline."""
    if not path or not os.path.isdir(path):
        return True
    deadline = time.monotonic() + timeout
    while True:
        busy = False
        for d, subdirs, _ in os.walk(path, topdown=False):
            try:
                os.rmdir(d)
            except FileNotFoundError:
                pass
            except OSError:
                busy = True
        if not busy:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def cleanup_all():
    for r in list(_live):
        try:
            r.kill()
        except Exception:
            pass
    if CGROUP_BASE and os.path.isdir(CGROUP_BASE):
        cgroup_remove(CGROUP_BASE)


# /proc readers -------------------------------------------------------------

def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def ns_procs(init_pid):
    """Host pids of every process in init_pid's PID namespace."""
    try:
        ns = os.readlink("/proc/%d/ns/pid" % init_pid)
    except FileNotFoundError:
        return []
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/ns/pid" % d) == ns:
                out.append(int(d))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return out


def init_side(init_pid):
    """The init's own processes: the init and every process of its namespace
    that is not a workload (services run the bw binary)."""
    bw = os.path.realpath(BW)
    out = []
    for p in ns_procs(init_pid):
        if p == init_pid:
            out.append(p)
            continue
        try:
            if os.readlink("/proc/%d/exe" % p) == bw:
                continue
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        out.append(p)
    return out


def smaps_kb(pid):
    """Pss, Pss_Anon, Pss_File and Private (Private_Clean + Private_Dirty), KB."""
    out = {"pss": 0, "pss_anon": 0, "pss_file": 0, "private": 0}
    txt = _read("/proc/%d/smaps_rollup" % pid)
    if not txt:
        return out
    for line in txt.splitlines():
        k, _, v = line.partition(":")
        v = v.split()
        if not v:
            continue
        if k == "Pss":
            out["pss"] = int(v[0])
        elif k == "Pss_Anon":
            out["pss_anon"] = int(v[0])
        elif k == "Pss_File":
            out["pss_file"] = int(v[0])
        elif k in ("Private_Clean", "Private_Dirty"):
            out["private"] += int(v[0])
    return out


def pss_kb(pid):
    return smaps_kb(pid)["pss"]


def ctxt_switches(pid):
    txt = _read("/proc/%d/status" % pid)
    if not txt:
        return None
    v = n = 0
    for line in txt.splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            v = int(line.split()[1])
        elif line.startswith("nonvoluntary_ctxt_switches:"):
            n = int(line.split()[1])
    return v + n


def cpu_ns(pid):
    """CPU time: /proc/PID/schedstat (ns) where the kernel has it, else
    utime+stime from /proc/PID/stat in clock ticks."""
    txt = _read("/proc/%d/schedstat" % pid)
    if txt:
        return int(txt.split()[0])
    st = _read("/proc/%d/stat" % pid)
    if not st:
        return None
    f = st.rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000000000 // os.sysconf("SC_CLK_TCK")


def stats(xs):
    xs = sorted(xs)
    if not xs:
        return None
    def q(p):
        return xs[min(len(xs) - 1, int(p * len(xs)))]
    return {"n": len(xs), "min": xs[0], "median": xs[len(xs) // 2] if len(xs) % 2
            else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2, "p90": q(0.9), "max": xs[-1]}
