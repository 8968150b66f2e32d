"""The inits under test: how each one is told to run a workload.

A spec says what to run:
  mode    'main'    one service whose end ends the init (signals go to it)
          'many'    n long-running services
          'restart' one service that exits at once and is to be restarted
  n       number of services ('many')
  svc     argv of the service (the same for all)
  divert  s6 only: forward SIGUSR1 to the service via .s6-svscan/SIGUSR1
"""

import os
import shutil
import signal

import harness


def _names(n):
    return ["s%04d" % i for i in range(n)]


class System:
    name = "?"
    stop_signal = signal.SIGTERM
    single = False  # runs one command, not a set of services
    # metric -> most repetitions worth its time (slow peers: one run tells)
    rep_cap = {}

    def unavailable(self, spec):
        """None if this system can run spec, else why not (shown as n/a)."""
        return None

    def argv(self, spec, work):
        raise NotImplementedError

    def after_run(self, work):
        """Called once the run's namespace is gone."""


class Floor(System):
    """The physical floor: the least a C program must do for each metric."""
    name = "floor"

    def __init__(self, variant=None, name=None):
        self.variant = variant
        if name:
            self.name = name

    def argv(self, spec, work):
        bw = harness.BW_INIT
        if spec["mode"] == "restart":
            return [bw, "loop", self.variant or "fork", "--"] + spec["svc"]
        if spec.get("metric") == "reap":
            return [bw, "pid1-wait", "--"] + spec["svc"]
        if spec.get("metric") in ("startup", "memory"):
            return [bw, "spawn-n", str(spec.get("n", 1)), self.variant or "spawn", "--"] + spec["svc"]
        return [bw, "pid1-fwd", str(spec.get("n", 1)), "--"] + spec["svc"]


class Single(System):
    """tini, dumb-init, catatonit: one child, signals forwarded, reaping."""
    single = True

    def __init__(self, name, binary, pre):
        self.name, self.binary, self.pre = name, binary, pre

    def unavailable(self, spec):
        if not shutil.which(self.binary):
            return "not installed"
        if spec["mode"] != "main" and not (spec["mode"] == "many" and spec["n"] == 1):
            return "runs one command"
        return None

    def argv(self, spec, work):
        return [shutil.which(self.binary)] + self.pre + spec["svc"]


def _svdir(work, spec, divert_cmd=None):
    """A scan directory: one directory per service with run -> bw and the
    arguments in ./args (bw reads them when called as run)."""
    d = os.path.join(work, "scan")
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    n = 1 if spec["mode"] in ("main", "restart") else spec["n"]
    args = "\n".join(spec["svc"][1:]) + "\n"
    for name in _names(n):
        s = os.path.join(d, name)
        os.mkdir(s)
        os.symlink(harness.BW, os.path.join(s, "run"))
        with open(os.path.join(s, "args"), "w") as f:
            f.write(args)
    if divert_cmd:
        c = os.path.join(d, ".s6-svscan")
        os.mkdir(c)
        p = os.path.join(c, "SIGUSR1")
        with open(p, "w") as f:
            f.write("#!/bin/sh\nexec %s %s\n" % (divert_cmd, os.path.join(d, _names(1)[0])))
        os.chmod(p, 0o755)
    return d


class S6(System):
    name = "s6"

    def unavailable(self, spec):
        if not shutil.which("s6-svscan"):
            return "not installed"
        if spec.get("metric") == "signal" and not shutil.which("s6-svc"):
            return "no s6-svc"
        return None

    def argv(self, spec, work):
        divert = "s6-svc -1" if spec.get("metric") == "signal" else None
        d = _svdir(work, spec, divert)
        n = spec.get("n", 1)
        return [shutil.which("s6-svscan"), "-c", str(max(1000, n + 8)), d]


class Runit(System):
    name = "runit"
    rep_cap = {"reap": 1}
    # runsvdir exits at once on SIGTERM, leaving its runsv processes; SIGHUP is
    # its documented way down: TERM to every runsv, then exit.
    stop_signal = signal.SIGHUP

    def unavailable(self, spec):
        if not shutil.which("runsvdir"):
            return "not installed"
        if spec.get("metric") == "signal":
            return "does not forward"
        if spec.get("n", 1) > 1000:
            return "runsvdir limit: 1000"
        return None

    def argv(self, spec, work):
        return [shutil.which("runsvdir"), _svdir(work, spec)]


class Supervisord(System):
    name = "supervisord"
    rep_cap = {"reap": 1, "startup": 1}

    def unavailable(self, spec):
        if not shutil.which("supervisord"):
            return "not installed"
        if spec.get("metric") == "signal":
            return "does not forward"
        return None

    def argv(self, spec, work):
        n = 1 if spec["mode"] in ("main", "restart") else spec["n"]
        logs = os.path.join(work, "childlogs")
        os.makedirs(logs, exist_ok=True)
        ini = os.path.join(work, "supervisord.conf")
        cmd = " ".join(spec["svc"])
        with open(ini, "w") as f:
            f.write("[supervisord]\nnodaemon=true\nuser=root\nlogfile=%s\npidfile=%s\n"
                    "childlogdir=%s\n\n" % (os.path.join(work, "supervisord.log"),
                                            os.path.join(work, "supervisord.pid"), logs))
            for name in _names(n):
                f.write("[program:%s]\ncommand=%s\nautorestart=true\n" % (name, cmd))
                if spec["mode"] == "restart":
                    # An exit before startsecs counts as a failed start (then FATAL
                    # after startretries): 0 makes every run a successful one.
                    f.write("startsecs=0\n")
                f.write("\n")
        return [shutil.which("supervisord"), "-n", "-c", ini]


class Corral(System):
    """corral in entrypoint mode (corral -- CMD) or config mode (corral -c FILE)."""

    def __init__(self, binary, config_mode, ok, why, extra_args=None, restart_keys=None,
                 service_keys="", name=None, max_n=None, chain=False):
        self.binary, self.config_mode, self.ok, self.why = binary, config_mode, ok, why
        self.chain = chain
        self.max_n = max_n
        self.name = name or ("corral -c" if config_mode else "corral")
        self.service_keys = service_keys
        self.single = not config_mode
        self.extra = extra_args or []
        self.restart_keys = restart_keys or ""

    def unavailable(self, spec):
        if not self.ok:
            return self.why
        if self.max_n and spec.get("n", 1) > self.max_n:
            return "measured up to %d" % self.max_n
        if not self.config_mode and spec["mode"] != "main" and not (
                spec["mode"] == "many" and spec["n"] == 1):
            return "runs one command"
        return None

    def argv(self, spec, work):
        rundir = os.path.join(work, "run")
        os.makedirs(rundir, exist_ok=True)
        base = [self.binary, "--run-dir", rundir] + self.extra
        cg = harness.cgroup_new()
        if cg:
            with open(os.path.join(work, "cgroup"), "w") as f:
                f.write(cg)
            base += ["--cgroup-root", cg]
        if not self.config_mode:
            return base + ["--"] + spec["svc"]
        conf = os.path.join(work, "corral.conf")
        write_corral_conf(conf, spec, self.restart_keys, self.service_keys, self.chain)
        return base + ["-c", conf]


    def after_run(self, work):
        try:
            with open(os.path.join(work, "cgroup")) as f:
                harness.cgroup_remove(f.read())
        except FileNotFoundError:
            pass


def write_corral_conf(path, spec, restart_keys="", service_keys="", chain=False):
    """chain: every service after the next one in the file, so that the start
    order runs against the order of declaration (the last one starts first)."""
    n = 1 if spec["mode"] in ("main", "restart") else spec["n"]
    cmd = ", ".join('"%s"' % a for a in spec["svc"])
    if spec["mode"] == "main":
        extra = ' main = true; restart = "never";'
    elif spec["mode"] == "restart":
        extra = ' restart = "always"; restart_delay_ms = 0;' + restart_keys
    else:
        extra = ""
    extra += service_keys
    with open(path, "w") as f:
        f.write("services = (\n")
        names = _names(n)
        after = ['' if not chain or i + 1 == n else ' after = [ "%s" ];' % names[i + 1]
                 for i in range(n)]
        f.write(",\n".join('  { name = "%s"; command = [ %s ];%s%s }' % (name, cmd, extra, after[i])
                           for i, name in enumerate(names)))
        f.write("\n);\n")
