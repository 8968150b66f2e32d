"""Binary sizes, the target verdicts and the printed table."""

import os
import shutil
import subprocess


def _size(path):
    try:
        return os.path.getsize(path)
    except (OSError, TypeError):
        return None


def _stripped(path, tmp):
    if not path or not os.path.exists(path) or not shutil.which("strip"):
        return None
    out = os.path.join(tmp, "stripped")
    if subprocess.run(["strip", "-o", out, path], stderr=subprocess.DEVNULL).returncode != 0:
        return None
    n = os.path.getsize(out)
    os.unlink(out)
    return n


def _is_static(path):
    with open(path, "rb") as f:
        if f.read(2) == b"#!":
            return "script"
    if not shutil.which("readelf"):
        return None
    r = subprocess.run(["readelf", "-l", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return b"INTERP" not in r.stdout


def build_static(root, out, progress):
    d = os.path.join(out, "build-static")
    try:
        if not os.path.exists(os.path.join(d, "build.ninja")):
            progress("meson setup bench/out/build-static (static corral)")
            # The build a FROM scratch image ships (packaging/Containerfile).
            subprocess.run(["meson", "setup", d, root, "-Dstatic=true", "-Dvm_tests=disabled",
                            "-Dbuildtype=release"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        progress("ninja -C bench/out/build-static corral corralctl")
        r = subprocess.run(["ninja", "-C", d, "corral", "corralctl"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            return None, r.stdout.decode()[-600:]
    except subprocess.CalledProcessError as e:
        return None, (e.stderr or b"").decode()[-600:]
    except FileNotFoundError as e:
        return None, str(e)
    return d, None


def binaries(corral_bin, root, out, progress, static_probe=None):
    tmp = os.path.join(out, "tmp")
    os.makedirs(tmp, exist_ok=True)
    res = {}

    def add(name, path, note=None):
        if not path or not os.path.exists(path):
            res[name] = {"na": "not built" if name.startswith("corral") else "not installed"}
            return
        res[name] = {"path": path, "bytes": _size(path), "stripped": _stripped(path, tmp),
                     "static": _is_static(path)}
        if note:
            res[name]["note"] = note

    if corral_bin:
        d = os.path.dirname(corral_bin)
        add("corral", corral_bin)
        add("corralctl", os.path.join(d, "corralctl"))
    else:
        add("corral", None)
        add("corralctl", None)
    sd, err = build_static(root, out, progress)
    if sd:
        for b in ("corral", "corralctl"):
            p = os.path.join(sd, b)
            add(b + " (static)", p)
            if p and os.path.exists(p) and _is_static(p) is not True:
                res[b + " (static)"]["note"] = "link is not static"
        if static_probe and "bytes" in res.get("corral (static)", {}):
            ok = static_probe.get("entrypoint") is True and static_probe.get("config") is True
            res["corral (static)"]["runs"] = ok
            res["corral (static)"]["note"] = ("runs: entrypoint and config mode as PID 1" if ok else
                                             "does not run: %s, %s" % (static_probe.get("entrypoint"),
                                                                        static_probe.get("config")))
    else:
        res["corral (static)"] = res["corralctl (static)"] = {"na": "static build failed",
                                                             "error": err}
    for name in ("tini", "tini-static", "dumb-init", "catatonit", "s6-svscan", "s6-supervise",
                 "runsvdir", "runsv", "supervisord"):
        add(name, shutil.which(name))
    if "bytes" in res.get("supervisord", {}):
        res["supervisord"]["note"] = "a Python script: runs on the python3 interpreter and the supervisor package"
    shutil.rmtree(tmp, ignore_errors=True)
    return res


# targets ------------------------------------------------------------------

def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d or d[k] is None:
            return None
        d = d[k]
    return d


# "No worse than a peer" allows this much: repeated runs on a shared 2-core
# machine differ by more than that between identical programs.
NOISE = 0.10


def targets(results):
    M = results.get("metrics", {})
    out = []

    def verdict(name, ok, detail):
        out.append({"target": name, "met": ok, "detail": detail})

    r = _get(M, "reap", "results")
    if r:
        c = r.get("corral") if "total" in r.get("corral", {}) else r.get("corral -c")
        cn = "corral" if "total" in r.get("corral", {}) else "corral -c"
        t, f = r.get("tini", {}), r.get("floor", {})
        if c and "total" in c and "total" in t and "total" in f:
            ct, tt, ft = c["total"]["median"], t["total"]["median"], f["total"]["median"]
            cp, tp = c["peak"]["max"], t["peak"]["max"]
            verdict("reap: peak zombies and time-to-clean no worse than tini, time within 1.2x floor",
                    cp <= tp and ct <= tt * (1 + NOISE) and ct <= 1.2 * ft,
                    "%s: %.0f ms, peak %d; tini: %.0f ms, peak %d; floor %.0f ms (%.2fx)"
                    % (cn, ct, cp, tt, tp, ft, ct / ft))
        else:
            verdict("reap", None, "corral n/a")
    r = _get(M, "restart", "results")
    if r:
        c, f = _get(r, "corral -c", "latency"), _get(r, "floor fork+exec", "latency")
        if c and f:
            verdict("restart: median within 2x the fork+exec floor", c["median"] <= 2 * f["median"],
                    "corral -c %.3f ms, floor %.3f ms (%.2fx)" % (c["median"], f["median"],
                                                                   c["median"] / f["median"]))
        else:
            verdict("restart", None, "corral -c n/a")
    r = _get(M, "flood", "results")
    if r and "na" not in r:
        p, f = _get(r, "plain", "latency"), _get(r, "flood", "latency")
        acted = _get(r, "flood", "acted_on_count")
        if p and f:
            verdict("notify flood: nothing acted on, restart median within 1.5x of no flood",
                    acted == 0 and f["median"] <= 1.5 * p["median"],
                    "acted on %s; %.3f ms flooded, %.3f ms not" % (acted, f["median"], p["median"]))
        else:
            verdict("notify flood", None, "no latency measured")
    r = _get(M, "startup", "results")
    if r:
        row = r.get(500) or r.get("500") or {}
        c, s6, f = _get(row, "corral -c", "ms"), _get(row, "s6", "ms"), _get(row, "floor", "ms")
        if c and s6 and f:
            ci = _get(row, "corral -c inherit", "ms")
            verdict("start-up: 500 services under half of s6, within 1.5x the posix_spawn floor",
                    c["median"] < 0.5 * s6["median"] and c["median"] <= 1.5 * f["median"],
                    "corral -c %.1f ms, s6 %.1f ms, floor %.1f ms (%.2fx)%s"
                    % (c["median"], s6["median"], f["median"], c["median"] / f["median"],
                       "; with output = inherit %.1f ms (%.2fx)" % (ci["median"], ci["median"] / f["median"])
                       if ci else ""))
        else:
            verdict("start-up", None, "corral -c n/a")
        # The chain: time per service at the largest N against N = 500.
        sizes = sorted(int(k) for k in r)
        big = sizes[-1] if sizes else None
        a = _get(r.get(500) or r.get("500") or {}, "corral -c chain", "ms")
        b = big and big > 500 and _get(r.get(big) or r.get(str(big)) or {}, "corral -c chain", "ms")
        if a and b:
            pa, pb = a["median"] / 500, b["median"] / big
            verdict("start order: an `after` chain costs N, not N^2 (per service at N=%d within 1.5x N=500)" % big,
                    pb <= 1.5 * pa, "%.3f ms per service at 500, %.3f at %d" % (pa, pb, big))
        for n, lim in ((1, 1024), (100, 2048)):
            row = r.get(n) or r.get(str(n)) or {}
            p = _get(row, "corral -c", "pss_kb") or _get(row, "corral", "pss_kb")
            pi = _get(row, "corral -c inherit", "pss_kb")
            ps = _get(row, "corral -c static", "pss_kb")
            if p:
                verdict("memory: PSS with %d service(s) <= %d KB" % (n, lim), p["median"] <= lim,
                        "corral -c %d KB%s%s" % (p["median"], "; with output = inherit %d KB" % pi["median"]
                                                 if pi else "",
                                                 "; static build %d KB" % ps["median"] if ps else ""))
    r = _get(M, "idle", "results")
    if r:
        c = r.get("corral -c", {})
        w = c.get("all_wakeups_per_10s")
        if w is not None:
            verdict("idle: zero wakeups with 10 services", w == 0,
                    "corral -c: %g wakeups, %.2f ms CPU per 10 s" % (w, c["all_cpu_ms_per_10s"]))
        else:
            verdict("idle", None, "corral -c n/a")
    r = _get(M, "signal", "results")
    if r:
        c = _get(r, "corral", "latency") or _get(r, "corral -c", "latency")
        t = _get(r, "tini", "latency")
        if c and t:
            verdict("signal: median no worse than tini (+10% noise)", c["median"] <= t["median"] * (1 + NOISE),
                    "corral %.3f ms, tini %.3f ms" % (c["median"], t["median"]))
        else:
            verdict("signal", None, "corral n/a")
    r = _get(M, "shutdown", "results")
    if r:
        c = r.get("corral -c", {})
        if c.get("beyond") and c.get("clean"):
            verdict("shutdown: 10 services stopped cleanly, < 5 ms beyond their exit",
                    c["clean"]["min"] == 1.0 and c["beyond"]["median"] < 5,
                    "corral -c: %.2f ms beyond, clean %.0f%%" % (c["beyond"]["median"],
                                                                 100 * c["clean"]["min"]))
        else:
            verdict("shutdown", None, "corral -c n/a")
    r = M.get("config")
    if r and r.get("growth_ratio_last_vs_first") is not None:
        g = r["growth_ratio_last_vs_first"]
        verdict("config load: linear (instructions per service constant within 15%)", g <= 1.15,
                "instructions/service: " + ", ".join("%s: %.0f" % (k, v) for k, v in
                                                     r["instructions_per_service"].items()))
    elif r is not None:
        verdict("config load", None, r.get("na", "no callgrind counts"))
    return out


# table --------------------------------------------------------------------

def _f(x, fmt="%.2f"):
    return "-" if x is None else fmt % x


def _st(s, keys=("min", "median"), fmt="%.2f"):
    if not s:
        return "-"
    return " / ".join(_f(s.get(k), fmt) for k in keys)


def _rows(title, header, rows):
    w = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["", title, "  " + "  ".join(str(h).ljust(w[i]) for i, h in enumerate(header))]
    for r in rows:
        lines.append("  " + "  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))
    return lines


def _na(res):
    if "na" in res:
        return "n/a (%s)" % res["na"]
    if res.get("errors"):
        return "failed: %s" % res["errors"][0]
    return None


def table(results):
    m = results["machine"]
    M = results["metrics"]
    L = ["corral benchmark (%s run), %s" % (results["mode"], m["date"]),
         "machine: %d CPUs, %s, Linux %s" % (m["nproc"], m["cpu"], m["kernel"])]
    r = _get(M, "reap", "results")
    if r:
        rows = []
        for name, x in r.items():
            na = _na(x)
            rows.append([name, na or _st(x.get("total"), fmt="%.0f"),
                         "" if na else _st(x.get("tail"), ("min", "median", "p90"), "%.3f"),
                         "" if na else _st(x.get("peak"), ("median", "max"), "%d")])
        L += _rows("orphan reaping: %d orphans by double fork (ms from first fork until no zombie is left; "
                   "tail = after the last fork)" % M["reap"]["orphans"],
                   ["init", "time-to-clean min / med", "tail ms min / med / p90", "peak zombies med / max"], rows)
    r = _get(M, "restart", "results")
    if r:
        rows = []
        for name, x in r.items():
            na = _na(x)
            rows.append([name, na or _st(x.get("latency"), ("min", "median", "p90"), "%.3f"),
                         "" if na else _st(x.get("per_10s"), ("median",), "%.0f")])
        L += _rows("restart latency: service exits at once (ms from its exit to its next start)",
                   ["init", "latency ms min / med / p90", "restarts per 10 s"], rows)
    r = _get(M, "flood", "results")
    if r:
        na = _na(r)
        if na:
            L += ["", "notify flood: " + na]
        else:
            fl = r.get("flood", {})
            rows = [[k, _na(r[k]) or _st(r[k].get("latency"), ("min", "median", "p90"), "%.3f"),
                     _st(r[k].get("per_10s"), ("median",), "%.0f")] for k in ("plain", "flood")]
            L += _rows("notify flood: corral -c's restart latency while %s foreign datagrams "
                       "(READY=1, WATCHDOG=trigger, MAINPID=1) hit its notify socket, sent in %s s; "
                       "acted on: %s, drop warnings: %s"
                       % (fl.get("datagrams"), _st(fl.get("send_s"), ("median",), "%.1f"),
                          fl.get("acted_on_count"), fl.get("drop_warnings")),
                       ["corral -c", "latency ms min / med / p90", "restarts per 10 s"], rows)
    r = _get(M, "startup", "results")
    if r:
        sizes = M["startup"]["sizes"]
        names = []
        for n in sizes:
            for name in r[n]:
                if name not in names:
                    names.append(name)
        rows = []
        for name in names:
            row = [name]
            for n in sizes:
                x = r[n].get(name, {})
                row.append(_na(x) if _na(x) else _st(x.get("ms"), fmt="%.1f"))
            rows.append(row)
        L += _rows("start-up: ms from the init's exec until N services all run (min / median)",
                   ["init"] + ["N=%d" % n for n in sizes], rows)
        rows = []
        for name in names:
            row = [name]
            pss = {}
            for n in sizes:
                x = r[n].get(name, {})
                p = _get(x, "pss_kb", "median")
                if p is not None:
                    pss[n] = p
                row.append("n/a" if _na(x) else _f(p and p / 1024, "%.2f"))
            if len(pss) >= 2:
                a, b = min(pss), max(pss)
                row.append("%.1f" % ((pss[b] - pss[a]) / (b - a)))
            else:
                row.append("-")
            rows.append(row)
        L += _rows("memory: PSS of the init's own processes, services excluded (MB, median)",
                   ["init"] + ["N=%d" % n for n in sizes] + ["KB per service"], rows)
        rows = []
        for name in names:
            if not name.startswith("corral"):
                continue
            row = [name]
            for n in sizes:
                x = r[n].get(name, {})
                a, f, p = (_get(x, k, "median") for k in ("pss_anon_kb", "pss_file_kb", "private_kb"))
                row.append("n/a" if a is None else "%d / %d / %d" % (a, f, p))
            rows.append(row)
        if rows:
            L += _rows("corral's memory in detail: PSS anon (heap, stacks) / PSS file (binary, libraries) / "
                       "private (KB, median)", ["init"] + ["N=%d" % n for n in sizes], rows)
    r = _get(M, "idle", "results")
    if r:
        rows = []
        for name, x in r.items():
            na = _na(x)
            rows.append([name, na or str(x.get("services")), "" if na else _f(x.get("init_wakeups_per_10s"), "%.0f"),
                         "" if na else _f(x.get("init_cpu_ms_per_10s"), "%.3f"),
                         "" if na else _f(x.get("all_wakeups_per_10s"), "%.0f"),
                         "" if na else _f(x.get("all_cpu_ms_per_10s"), "%.3f"),
                         "" if na else str(x.get("init_procs"))])
        L += _rows("idle cost over %g s, scaled to 10 s (wakeups = context switches)" % M["idle"]["window_s"],
                   ["init", "services", "PID 1 wakeups", "PID 1 CPU ms", "all init procs wakeups",
                    "all CPU ms", "init procs"], rows)
    r = _get(M, "signal", "results")
    if r:
        rows = []
        for name, x in r.items():
            na = _na(x)
            rows.append([name, na or _st(x.get("latency"), ("min", "median", "p90"), "%.3f"),
                         "" if na else str(x.get("lost"))])
        L += _rows("signal forwarding: SIGUSR1 to the init until the service's handler runs (ms)",
                   ["init", "latency ms min / med / p90", "lost"], rows)
    r = _get(M, "shutdown", "results")
    if r:
        rows = []
        for name, x in r.items():
            na = _na(x)
            rows.append([name, na or "%d, %s" % (x.get("services"), x.get("stop_signal")),
                         "" if na else _st(x.get("beyond"), ("min", "median", "p90"), "%.3f"),
                         "" if na else _st(x.get("total"), ("min", "median"), "%.1f"),
                         "" if na else _f(_get(x, "clean", "min") and 100 * x["clean"]["min"], "%.0f%%")])
        L += _rows("shutdown: stop signal to the init until it exits",
                   ["init", "services, signal", "ms beyond services' exit min / med / p90",
                    "total ms min / med", "clean (worst run)"], rows)
    r = M.get("config")
    if r:
        if "na" in r:
            L += ["", "config load: n/a (%s)" % r["na"]]
        else:
            L += ["", "config load: corral --check -c (4096 services): %s ms (min / median)"
                  % _st(r["check_ms"].get(4096) or r["check_ms"].get("4096"), fmt="%.1f")]
            for n, ins in sorted((int(k), v) for k, v in r["instructions"].items()):
                L.append("  callgrind n=%d: %s instructions (%s per service)"
                         % (n, _f(ins, "%d"), _f(ins and ins / n, "%.0f")))
            for e in r.get("errors", []):
                L.append("  error: " + e)
    r = M.get("binary")
    if r:
        rows = []
        for name, x in r.items():
            if "na" in x:
                rows.append([name, "n/a (%s)" % x["na"], "", ""])
            else:
                rows.append([name, "%d" % x["bytes"], _f(x.get("stripped"), "%d"),
                             {True: "static", False: "dynamic", None: "?", "script": "script"}[x.get("static")]
                             + ("; " + x["note"] if x.get("note") else "")])
        L += _rows("binary size (bytes)", ["binary", "file", "stripped", "linking"], rows)
    t = results.get("targets")
    if t:
        L += ["", "targets for corral:"]
        for x in t:
            mark = {True: "met", False: "MISSED", None: "n/a"}[x["met"]]
            L.append("  [%s] %s: %s" % (mark, x["target"], x["detail"]))
    L.append("")
    L.append("elapsed: %.0f s" % results.get("elapsed_s", 0))
    return "\n".join(L)
