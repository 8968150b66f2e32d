#!/usr/bin/env python3
"""packaging/kubernetes/pod.yaml: the manifest parses; its probes are exec
probes of corralctl commands that exist, on the socket of the run dir the
container's corral is given; the grace period outlasts the config's
shutdown budget; the config in the ConfigMap passes corral --check.  Then
the pod's container is played without Kubernetes: corral as PID 1 of a
PID namespace, as the pod's non-root user, on the ConfigMap's config (its
/tmp mapped to a private directory), with both probes run as the kubelet
would, and SIGTERM ends it in order within the grace period.  Not tested:
a real cluster (no kubelet or kubectl here)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MANIFEST = os.environ["MANIFEST"]
CORRAL = os.environ["CORRAL"]
CORRALCTL = os.environ["CORRALCTL"]

n = 0
failed = False


def ok(cond, what, detail=None):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what))
    if not cond:
        failed = True
        for line in str(detail or "").splitlines():
            print("# " + line)
    return cond


def skip(what):
    global n
    n += 1
    print("ok %d - # SKIP %s" % (n, what))


def done():
    print("1..%d" % n)
    sys.exit(1 if failed else 0)


try:
    import yaml
except ImportError:
    print("1..0 # SKIP python3-yaml not installed (./dev.sh installs it)")
    sys.exit(0)

with open(MANIFEST) as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
kinds = sorted(d.get("kind", "?") for d in docs)
ok(kinds == ["ConfigMap", "Pod"], "the manifest parses: a ConfigMap and a Pod", kinds)
cm = next(d for d in docs if d.get("kind") == "ConfigMap")
pod = next(d for d in docs if d.get("kind") == "Pod")
spec = pod["spec"]
ctr = spec["containers"][0]
ok(len(spec["containers"]) == 1, "one container, whose PID 1 is corral")

cmd = ctr["command"]
ok(os.path.basename(cmd[0]) == "corral", "the container runs corral", cmd)
args = dict(zip(cmd[1:], cmd[2:]))
run_dir = args.get("--run-dir")
conf_dir = args.get("-c") or args.get("--config")
ok(run_dir and conf_dir, "it names its config (%s) and run dir (%s)" % (conf_dir, run_dir), cmd)
mounts = {m["mountPath"]: m["name"] for m in ctr.get("volumeMounts", [])}
vols = {v["name"]: v for v in spec.get("volumes", [])}
vol = vols.get(mounts.get(conf_dir), {})
ok(vol.get("configMap", {}).get("name") == cm["metadata"]["name"],
   "the config dir is the ConfigMap's volume", (mounts, vols))
confs = {k: v for k, v in cm["data"].items() if k.endswith(".conf")}
ok(len(confs) >= 1, "the ConfigMap holds *.conf files: %s" % " ".join(confs))

tmp = tempfile.mkdtemp(prefix="corral-k8s.")
try:
    # The ConfigMap as the container sees it, then corral --check on it.
    cdir = os.path.join(tmp, "conf.d")
    os.mkdir(cdir)
    for name, text in confs.items():
        with open(os.path.join(cdir, name), "w") as f:
            f.write(text)
    check = subprocess.run([CORRAL, "--check", "-c", cdir], capture_output=True, text=True)
    ok(check.returncode == 0, "corral --check accepts the ConfigMap's config", check.stderr)
    plan = check.stdout
    settings = next((l for l in plan.splitlines() if l.startswith("settings:")), "")
    kv = dict(w.split("=", 1) for w in settings.split()[1:] if "=" in w)
    services = []
    for line in plan.splitlines():
        w = line.split()
        if len(w) == 2 and w[0].endswith(".") and w[0][:-1].isdigit():
            services.append(w[1])
    ok(kv.get("cgroups") == "optional",
       "cgroups = \"optional\": a container's cgroupfs is read-only", settings)

    budget_ms = int(kv.get("shutdown_timeout_ms", "8000").replace("(default)", "8000"))
    grace = spec.get("terminationGracePeriodSeconds", 30)
    ok(grace * 1000 > budget_ms,
       "terminationGracePeriodSeconds (%d s) outlasts shutdown_timeout_ms (%d ms)" % (grace, budget_ms))

    sc = spec.get("securityContext", {})
    uid = sc.get("runAsUser", 0)
    ok(sc.get("runAsNonRoot") is True and uid != 0, "runs as a non-root user (uid %d)" % uid, sc)
    ok(not spec.get("shareProcessNamespace", False), "corral is the container's PID 1 (shareProcessNamespace off)")

    # Every probe is an exec of corralctl naming a command it has, on the
    # control socket of corral's run dir, and a service of the config.
    helptext = subprocess.run([CORRALCTL, "--help"], capture_output=True, text=True).stdout
    block = helptext.split("commands:", 1)[1].split("options:", 1)[0]
    commands = set()
    for line in block.splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            for part in line.split("  ")[1].split("|"):
                if part.split():
                    commands.add(part.split()[0])
    ok(len(commands) >= 10, "corralctl --help lists its commands: %s" % " ".join(sorted(commands)))
    probes = {}
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        if kind not in ctr:
            continue
        argv = ctr[kind].get("exec", {}).get("command", [])
        probes[kind] = argv
        good = bool(argv) and os.path.basename(argv[0]) == "corralctl"
        words = argv[1:]
        sock = None
        if len(words) >= 2 and words[0] in ("-s", "--socket"):
            sock, words = words[1], words[2:]
        good = good and words and words[0] in commands and sock == os.path.join(run_dir, "control")
        if good and words[0] in ("check", "start", "stop", "restart", "logs", "kill", "exec"):
            good = len(words) > 1 and words[1] in services
        if good and words[0] == "status" and len(words) > 1 and not words[1].startswith("-"):
            good = words[1] in services
        ok(good, "%s: %s" % (kind, " ".join(argv)),
           "commands %s, services %s, socket of the run dir %s" % (sorted(commands), services, run_dir))
    ok("readinessProbe" in probes and "livenessProbe" in probes, "both a readiness and a liveness probe")

    # The container, played: corral as the pod's user in a PID namespace.
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        skip("running the pod needs root, unshare and setpriv")
        done()
    if subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"],
                      capture_output=True).returncode != 0:
        skip("cannot create a PID namespace here")
        done()
    gid = sc.get("runAsGroup", uid)
    os.chmod(tmp, 0o755)
    ptmp = os.path.join(tmp, "tmp")  # the image's /tmp
    os.mkdir(ptmp)
    os.chmod(ptmp, 0o1777)

    def mapped(s):
        return s.replace("/tmp/", ptmp + "/")

    for name, text in confs.items():
        with open(os.path.join(cdir, name), "w") as f:
            f.write(mapped(text))
    as_user = ["setpriv", "--reuid", str(uid), "--regid", str(gid), "--clear-groups", "--",
               "env", "-i", "PATH=/usr/bin:/bin"]
    argv = [CORRAL] + [mapped(a) if a == run_dir else (cdir if a == conf_dir else a) for a in cmd[1:]]
    out = open(os.path.join(tmp, "out"), "w+")
    upid = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL"]
                            + as_user + argv, stdout=out, stderr=subprocess.STDOUT)
    cpid = None

    def probe(kind):
        a = probes[kind]
        a = [CORRALCTL] + [mapped(w) if w.startswith(run_dir) else w for w in a[1:]]
        return subprocess.run(as_user + a, capture_output=True, text=True, timeout=60)

    def log():
        out.seek(0)
        return out.read()[-3000:]

    try:
        deadline = time.monotonic() + 30
        while cpid is None and time.monotonic() < deadline and upid.poll() is None:
            try:
                with open("/proc/%d/task/%d/children" % (upid.pid, upid.pid)) as f:
                    cpid = int(f.read().split()[0])
            except (OSError, IndexError, ValueError):
                time.sleep(0.05)
        ok(cpid is not None, "corral runs as PID 1 of the container, uid %d" % uid, log())
        ready = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and upid.poll() is None:
            ready = probe("readinessProbe")
            if ready.returncode == 0:
                break
            time.sleep(0.2)
        ok(ready is not None and ready.returncode == 0, "the readiness probe passes once the pod is up",
           (ready.stderr if ready else "") + log())
        live = probe("livenessProbe")
        states = {}
        if live.returncode == 0 and live.stdout.strip().startswith("{"):
            states = {s["name"]: s["state"] for s in json.loads(live.stdout)["services"]}
        ok(live.returncode == 0 and sorted(states) == sorted(services),
           "the liveness probe passes and lists every service: %s" % states, live.stderr + log())
        start = time.monotonic()
        if cpid:
            os.kill(cpid, signal.SIGTERM)
        try:
            rc = upid.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            rc = None
        took = time.monotonic() - start
        ok(rc == 0, "SIGTERM (as the kubelet sends it) stops the pod, exit 0, in %.1f s of %d" % (took, grace),
           "exit %s\n%s" % (rc, log()))
        text = log()
        w, a = text.find('service "web": stopped'), text.find('service "app": stopped')
        ok(0 <= w < a, "web stops before app (reverse start order)", text)
    finally:
        # setpriv clears the parent-death signal that --kill-child relies on.
        for pid in (cpid, upid.pid):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        upid.wait()
        out.close()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
done()
