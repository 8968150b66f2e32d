"""Each metric: runs every system (repetitions interleaved round-robin, so that
machine noise falls on all of them alike) and returns per-system results.
A system that cannot run a metric gets {"na": reason}."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import harness
from harness import Records, Run, BenchError, now_ns, stats

WORKROOT = None


def BW():
    return harness.BW


def _work():
    return tempfile.mkdtemp(dir=WORKROOT)


def _rounds(systems, reps, metric):
    """Round-robin order, rotated each round so no system always goes first."""
    for r in range(reps):
        live = [s for s in systems if r < s.rep_cap.get(metric, reps)]
        k = r % len(live) if live else 0
        yield r, live[k:] + live[:k]


def _ms(ns):
    return ns / 1e6


def _run_one(sysm, spec, fn, out):
    """Start sysm on spec in a fresh work dir, call fn(run, recs, work), always
    end the namespace. Errors become a note on the system's result."""
    work = _work()
    recs = Records(os.path.join(work, "rec.fifo"))
    svc = [a if a != "@OUT" else recs.path for a in spec["svc"]]
    spec = dict(spec, svc=svc)
    run = None
    try:
        run = Run(sysm.argv(spec, work), "%s-%s" % (sysm.name, spec.get("metric")))
        return fn(run, recs, work, spec)
    except BenchError as e:
        out.setdefault("errors", []).append(str(e))
        return None
    finally:
        if run:
            run.kill()
        sysm.after_run(work)
        recs.close()
        shutil.rmtree(work, ignore_errors=True)


def _runs(live, reps, metric, progress, spec_for, fn_for, res):
    """Every system of live once per round, interleaved (see _rounds()):
    yields (system, what fn_for(system) returned) for each run that worked."""
    for r, order in _rounds(live, reps, metric):
        for s in order:
            progress("%s %s #%d" % (metric, s.name, r + 1))
            got = _run_one(s, spec_for(s), fn_for(s), res[s.name])
            if got:
                yield s, got


def _prepare(systems, spec_for):
    res, live = {}, []
    for s in systems:
        why = s.unavailable(spec_for(s))
        if why:
            res[s.name] = {"na": why}
        else:
            res[s.name] = {}
            live.append(s)
    return res, live


# orphan reaping -----------------------------------------------------------

def reap(systems, reps, n_orphans, progress):
    spec = {"metric": "reap", "mode": "main", "svc": [BW(), "orphans", str(n_orphans), "@OUT"]}
    res, live = _prepare(systems, lambda s: spec)
    samples = {s.name: {"total": [], "tail": [], "peak": []} for s in live}

    def one(run, recs, work, spec):
        if not recs.wait(lambda r: any(k in "CX" for k, _, _ in r), 60 + n_orphans / 50):
            raise BenchError("no end of reaping within the deadline")
        b = recs.of("B")[0][2]
        m = recs.of("M")[0][2]
        end = [x for x in recs.recs if x[0] in "CX"][0]
        if end[0] == "X":
            raise BenchError("zombies left after 60 s")
        return _ms(end[2] - b), _ms(end[2] - m), end[1]

    for s, got in _runs(live, reps, "reap", progress, lambda s: spec, lambda s: one, res):
        for k, v in zip(("total", "tail", "peak"), got):
            samples[s.name][k].append(v)
    for s in live:
        for k, v in samples[s.name].items():
            res[s.name][k] = stats(v)
    return res


# restart latency ----------------------------------------------------------

def _restarts_before(recs, end):
    """Latencies (ms) from each exit record to the next start, and the
    number of starts, before end (ns)."""
    ls, last_e = [], None
    for k, _, ns in sorted(recs.recs, key=lambda x: x[2]):
        if ns >= end:
            break
        if k == "E":
            last_e = ns
        elif k == "S" and last_e is not None:
            ls.append(_ms(ns - last_e))
            last_e = None
    return ls, sum(1 for k, _, ns in recs.recs if k == "S" and ns < end)


def restart(systems, reps, window, progress):
    spec = {"metric": "restart", "mode": "restart", "svc": [BW(), "restart", "@OUT"]}
    res, live = _prepare(systems, lambda s: spec)
    lat = {s.name: [] for s in live}
    count = {s.name: [] for s in live}

    def one(run, recs, work, spec):
        if not recs.wait(lambda r: any(k == "S" for k, _, _ in r), 15):
            raise BenchError("the service never started")
        s0 = recs.of("S")[0][2]
        end = s0 + int(window * 1e9)
        recs.wait(lambda r: False, max(0, (end - now_ns()) / 1e9))
        return _restarts_before(recs, end)

    for s, got in _runs(live, reps, "restart", progress, lambda s: spec, lambda s: one, res):
        lat[s.name] += got[0]
        count[s.name].append(got[1] * 10.0 / window)
    for s in live:
        res[s.name]["latency"] = stats(lat[s.name])
        res[s.name]["per_10s"] = stats(count[s.name])
    return res


# start-up and memory -----------------------------------------------------

def startup(systems, reps, sizes, progress, deadline_s, skip_after_s, big_reps):
    """N services until all run; memory measured once they do. A system whose
    previous size took over skip_after_s is not run at the larger sizes."""
    out = {}
    runs = []
    for n in sizes:
        spec = {"metric": "startup", "mode": "many", "n": n, "svc": [BW(), "svc", "@OUT"]}
        res, live = _prepare(systems, lambda s, spec=spec: spec)
        out[n] = res
        for s in live:
            res[s.name].update({"_t": [], "_mem": [], "_procs": []})
        runs.append((n, spec, live))

    def one(run, recs, work, spec):
        n = spec["n"]
        if not recs.wait(lambda r: len(r) >= n, deadline_s(n)):
            raise BenchError("%d of %d services up within %d s" % (len(recs.recs), n, deadline_s(n)))
        t_up = max(ns for _, _, ns in recs.recs)
        procs = harness.init_side(run.pid)
        mem = {"pss": 0, "pss_anon": 0, "pss_file": 0, "private": 0}
        for p in procs:
            for k, v in harness.smaps_kb(p).items():
                mem[k] += v
        return _ms(t_up - run.t0), mem, len(procs)

    slow = {}
    for i, (n, spec, live) in enumerate(runs):
        nreps = reps if n <= 500 else big_reps
        for s in live:
            if s.name in slow:
                out[n][s.name] = {"na": "skipped: N=%d took %.1f s" % slow[s.name]}
        live = [s for s in live if s.name not in slow]
        for r, order in _rounds(live, nreps, "startup"):
            for s in order:
                res = out[n][s.name]
                if res.get("errors"):
                    continue  # one timeout is enough: do not pay it again
                progress("startup n=%d %s #%d" % (n, s.name, r + 1))
                got = _run_one(s, spec, one, res)
                if got:
                    res["_t"].append(got[0])
                    res["_mem"].append(got[1])
                    res["_procs"].append(got[2])
        nxt = runs[i + 1][0] if i + 1 < len(runs) else None
        for s in live:
            res = out[n][s.name]
            res["ms"] = stats(res.pop("_t"))
            mem = res.pop("_mem")
            res["pss_kb"] = stats([m["pss"] for m in mem])
            for k in ("pss_anon", "pss_file", "private"):
                res[k + "_kb"] = stats([m[k] for m in mem])
            res["procs"] = stats(res.pop("_procs"))
            # Extrapolate from the cost per service so far: skip what would not
            # make it at the next size (a superlinear one meets the deadline).
            t = res["ms"] and res["ms"]["min"]
            if t and nxt and n > 1:
                t1 = _get_min(out[runs[0][0]].get(s.name))
                slope = (t - (t1 or 0)) / (n - 1) if t1 is not None else t / n
                if t + slope * (nxt - n) > skip_after_s * 1e3:
                    slow[s.name] = (n, t / 1e3)
    return out


def _get_min(res):
    ms = res and res.get("ms")
    return ms["min"] if ms else None


# idle cost ------------------------------------------------------------------

def idle(systems, window, progress):
    """All systems at once (they are idle: they do not disturb each other),
    10 services each (1 for single-command inits)."""
    res, started = {}, []
    try:
        for s in systems:
            n = 1 if s.single else 10
            spec = {"metric": "idle", "mode": "many", "n": n, "svc": [BW(), "svc", "@OUT"]}
            why = s.unavailable(spec)
            if why:
                res[s.name] = {"na": why}
                continue
            work = _work()
            recs = Records(os.path.join(work, "rec.fifo"))
            spec["svc"] = [BW(), "svc", recs.path]
            try:
                run = Run(s.argv(spec, work), "%s-idle" % s.name)
            except BenchError as e:
                res[s.name] = {"errors": [str(e)]}
                recs.close()
                continue
            started.append((s, run, recs, work, n))
            res[s.name] = {"services": n}
        progress("idle: waiting for services")
        for s, run, recs, work, n in started:
            if not recs.wait(lambda r, n=n: len(r) >= n, 30):
                res[s.name]["errors"] = ["services not up"]
        # Let start-up transients pass before the window opens.
        time.sleep(1.0)
        before = {}
        for s, run, recs, work, n in started:
            procs = harness.init_side(run.pid)
            before[s.name] = (procs, {p: (harness.ctxt_switches(p), harness.cpu_ns(p)) for p in procs})
        progress("idle: %g s window" % window)
        time.sleep(window)
        for s, run, recs, work, n in started:
            procs, b = before[s.name]
            tot_w = tot_c = 0
            init_w = init_c = None
            for p in procs:
                cs, cpu = harness.ctxt_switches(p), harness.cpu_ns(p)
                if cs is None or b[p][0] is None:
                    continue
                dw, dc = cs - b[p][0], cpu - b[p][1]
                tot_w += dw
                tot_c += dc
                if p == run.pid:
                    init_w, init_c = dw, dc
            scale = 10.0 / window
            res[s.name].update({
                "init_wakeups_per_10s": None if init_w is None else init_w * scale,
                "init_cpu_ms_per_10s": None if init_c is None else init_c * scale / 1e6,
                "all_wakeups_per_10s": tot_w * scale,
                "all_cpu_ms_per_10s": tot_c * scale / 1e6,
                "init_procs": len(procs)})
    finally:
        for s, run, recs, work, n in started:
            run.kill()
            s.after_run(work)
            recs.close()
            shutil.rmtree(work, ignore_errors=True)
    return res


# signal forwarding ------------------------------------------------------

def signals(systems, reps, count, progress):
    spec = {"metric": "signal", "mode": "main", "svc": [BW(), "svc", "@OUT"]}
    res, live = _prepare(systems, lambda s: spec)
    lat = {s.name: [] for s in live}
    lost = {s.name: 0 for s in live}

    def one(run, recs, work, spec):
        if not recs.wait(lambda r: any(k == "R" for k, _, _ in r), 15):
            raise BenchError("the service never started")
        ls, miss = [], 0
        for i in range(count):
            want = recs.count("U") + 1
            t0 = now_ns()
            run.signal(signal.SIGUSR1)
            if recs.wait(lambda r: sum(1 for k, _, _ in r if k == "U") >= want, 2):
                ls.append(_ms(recs.of("U")[-1][2] - t0))
            else:
                miss += 1
        return ls, miss

    for s, got in _runs(live, reps, "signal", progress, lambda s: spec, lambda s: one, res):
        lat[s.name] += got[0]
        lost[s.name] += got[1]
    for s in live:
        res[s.name]["latency"] = stats(lat[s.name])
        res[s.name]["lost"] = lost[s.name]
    return res


# shutdown -----------------------------------------------------------------

def shutdown(systems, reps, progress):
    def spec_for(s):
        if s.single:
            return {"metric": "shutdown", "mode": "main", "n": 1, "svc": [BW(), "svc", "@OUT"]}
        return {"metric": "shutdown", "mode": "many", "n": 10, "svc": [BW(), "svc", "@OUT"]}
    res, live = _prepare(systems, spec_for)
    samples = {s.name: {"beyond": [], "total": [], "clean": []} for s in live}

    def one(run, recs, work, spec, sysm=None):
        n = spec.get("n", 1)
        if not recs.wait(lambda r: len(r) >= n, 30):
            raise BenchError("services not up")
        t0 = now_ns()
        run.signal(sysm.stop_signal)
        ex = run.wait_exit(30)
        if not ex:
            raise BenchError("did not exit within 30 s of %s" % signal.Signals(sysm.stop_signal).name)
        recs.wait(lambda r: False, 0)
        ts = [ns for k, _, ns in recs.recs if k == "T"]
        beyond = _ms(ex[0] - max(ts)) if ts else None
        return beyond, _ms(ex[0] - t0), len(ts) / n

    for s, got in _runs(live, reps, "shutdown", progress, spec_for,
                        lambda s: lambda *a: one(*a, sysm=s), res):
        for k, v in zip(("beyond", "total", "clean"), got):
            if v is not None:
                samples[s.name][k].append(v)
    for s in live:
        res[s.name]["services"] = spec_for(s).get("n", 1)
        res[s.name]["stop_signal"] = signal.Signals(s.stop_signal).name
        for k, v in samples[s.name].items():
            res[s.name][k] = stats(v)
    return res


# config load --------------------------------------------------------------

def config_load(corral, sizes, reps, callgrind_sizes, progress, write_conf):
    if not corral.ok:
        return {"na": corral.why}
    out = {"check_ms": {}, "instructions": {}}
    work = _work()
    try:
        for n in sorted(set(sizes) | set(callgrind_sizes)):
            conf = os.path.join(work, "c%d.conf" % n)
            write_conf(conf, {"mode": "many", "n": n, "svc": [BW(), "svc", "/dev/null"]})
            if n in sizes:
                ts = []
                for _ in range(reps):
                    progress("config load --check n=%d" % n)
                    t0 = time.monotonic()
                    p = subprocess.run([corral.binary, "--check", "-c", conf],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
                    ts.append((time.monotonic() - t0) * 1e3)
                    if p.returncode != 0:
                        out.setdefault("errors", []).append(
                            "n=%d: exit %d: %s" % (n, p.returncode, p.stderr.decode()[-300:]))
                        break
                out["check_ms"][n] = stats(ts)
            if n in callgrind_sizes and shutil.which("valgrind"):
                progress("config load callgrind n=%d" % n)
                cg = os.path.join(work, "cg.%d" % n)
                p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg,
                                    corral.binary, "--check", "-c", conf],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
                out["instructions"][n] = _callgrind_total(cg)
                keep = os.path.join(harness.LOGDIR, "callgrind.check.%d" % n)
                if os.path.exists(cg):
                    shutil.copy(cg, keep)
        ins = out["instructions"]
        if len(ins) >= 2 and all(ins.values()):
            ks = sorted(ins)
            out["instructions_per_service"] = {k: ins[k] / k for k in ks}
            out["growth_ratio_last_vs_first"] = (ins[ks[-1]] / ks[-1]) / (ins[ks[0]] / ks[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _callgrind_total(path):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return None


# notify flood -------------------------------------------------------------

FLOOD_MSG = b"READY=1\nWATCHDOG=trigger\nMAINPID=1\nSTATUS=flood"


def _flooder(init_pid, sock, count):
    """count datagrams at sock from a process in the init's PID namespace
    that is no service's: a blocking socket, so the sender goes as fast as
    corral takes them off its queue."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n"
            "m=%r\n"
            "for i in range(%d):\n"
            "    s.sendto(m,%r)\n" % (FLOOD_MSG, count, sock))
    return subprocess.Popen(["nsenter", "-t", str(init_pid), "-p", "--", "python3", "-c", code],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def notify_flood(corral, reps, window, count, progress):
    """corral -c's restart latency (the restart metric's service) with and
    without count foreign datagrams sent at its notify socket meanwhile,
    interleaved; and what the flood made corral do (log lines other than
    its drop warnings)."""
    spec = {"metric": "flood", "mode": "restart", "svc": [BW(), "restart", "@OUT"]}
    why = corral.unavailable(spec)
    if why:
        return {"na": why}
    out = {"plain": {}, "flood": {}}
    lat = {"plain": [], "flood": []}
    per10 = {"plain": [], "flood": []}
    sent_s, lines = [], []
    log = os.path.join(harness.LOGDIR, "%s-flood.log" % corral.name.replace(" ", "_"))

    def one(flood):
        def fn(run, recs, work, spec):
            if not recs.wait(lambda r: any(k == "S" for k, _, _ in r), 15):
                raise BenchError("the service never started")
            start = os.path.getsize(log) if os.path.exists(log) else 0
            s0 = recs.of("S")[0][2]
            end = s0 + int(window * 1e9)
            fl = _flooder(run.pid, os.path.join(work, "run", "notify"), count) if flood else None
            t0 = time.monotonic()
            recs.wait(lambda r: False, max(0, (end - now_ns()) / 1e9))
            if fl:
                try:
                    fl.wait(60)
                except subprocess.TimeoutExpired:
                    fl.kill()
                    fl.wait()
                    raise BenchError("the flood did not end within 60 s")
                sent_s.append(time.monotonic() - t0)
                with open(log, "rb") as f:
                    f.seek(start)
                    text = f.read().decode(errors="replace")
                # What a datagram could make corral do to a service; the
                # start's own "every service is ready" is not the flood's.
                lines.extend(l for l in text.splitlines()
                             if any(w in l.lower() for w in ("notify", "watchdog", "mainpid", "main pid")))
            return _restarts_before(recs, end)
        return fn

    for r in range(reps):
        for flood in ((False, True) if r % 2 == 0 else (True, False)):
            key = "flood" if flood else "plain"
            progress("flood corral -c %s #%d" % (key, r + 1))
            got = _run_one(corral, dict(spec, metric="flood"), one(flood), out[key])
            if got:
                lat[key] += got[0]
                per10[key].append(got[1] * 10.0 / window)
    for key in out:
        out[key]["latency"] = stats(lat[key])
        out[key]["per_10s"] = stats(per10[key])
    acted = [l for l in lines if "dropped" not in l]
    out["flood"].update({"datagrams": count, "send_s": stats(sent_s),
                         "drop_warnings": len(lines) - len(acted), "acted_on": acted[:10],
                         "acted_on_count": len(acted)})
    return out
