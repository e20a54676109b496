"""Server-log cases: windows of consecutive lines, labelled with drain3 template parameters.

Per server kind, drain3's TemplateMiner (default settings: no masking instructions, sim_th 0.4,
depth 4) mines templates over every line of every log file of that server (all runs, in a fixed
order). Each line's cluster is the one add_log_message put it in; its final template is read
after all lines were mined, and the parameter values come from drain3's extract_parameters
regex for that template. A value is a span when it is >= 3 characters, or 2 digits."""

from __future__ import annotations

import logging
import random
import re
from pathlib import Path

from common import Case

WIN_MIN, WIN_MAX = 100, 800
LOG_MAX = 28 * 1024  # bytes per log window (keeps the corpus well under 9 MB)


def drain_version() -> str:
    try:
        import importlib.metadata as md
        return md.version("drain3")
    except Exception:
        return "unknown"


class Labeler:
    def __init__(self, files):
        """files: [(name, [lines])] in a fixed order; mines all their lines."""
        from drain3 import TemplateMiner
        from drain3.template_miner_config import TemplateMinerConfig
        logging.getLogger("drain3").setLevel(logging.ERROR)
        cfg = TemplateMinerConfig()  # defaults; no drain3.ini is read
        self.tm = TemplateMiner(config=cfg)
        self.cid = {}
        for name, lines in files:
            ids = []
            for ln in lines:
                s = ln.strip()
                if not s:
                    ids.append(None)
                    continue
                r = self.tm.add_log_message(s)
                ids.append(r["cluster_id"])
            self.cid[name] = ids
        self._rx = {}
        self.n_clusters = len(self.tm.drain.clusters)

    def params(self, name, idx, line):
        """[(offset in line, value)] for line idx of file name."""
        cid = self.cid[name][idx]
        if cid is None:
            return []
        tpl = self.tm.drain.id_to_cluster[cid].get_template()
        if tpl not in self._rx:
            rx, names = self.tm._get_template_parameter_extraction_regex(tpl, True)
            crx = re.compile(rx)
            self._rx[tpl] = (crx, [n for n in names if n in crx.groupindex])
        rx, names = self._rx[tpl]
        s = line.strip()
        lead = len(line) - len(line.lstrip())
        m = rx.match(s)
        out = []
        if m is None:
            vals = self.tm.extract_parameters(tpl, s) or []
            cur = 0
            for p in vals:
                i = s.find(p.value, cur)
                if i >= 0:
                    out.append((lead + i, p.value))
                    cur = i + len(p.value)
            return out
        for g in names:
            if m.group(g) is not None:
                out.append((lead + m.start(g), m.group(g)))
        return out


_ANCHOR = re.compile(r"\b(?:ERROR|FATAL|PANIC|WARN|WARNING|CRITICAL|Exception|Traceback|panicked|Failed|Invalid|denied|crit|emerg|alert)\b")


def windows(n_lines, lines, k, seed):
    """Up to k non-overlapping windows (start, end) of 100-800 lines and <= 28 KiB: about a third
    start a little before lines that report errors/warnings, the rest spread over the file."""
    rnd = random.Random(seed)
    if n_lines < WIN_MIN:
        return [(0, n_lines)] if n_lines else []
    stride = max(1, n_lines // k)
    starts = [j * stride + (rnd.randrange(max(1, stride // 4)) if j else 0) for j in range(k)]
    anchors = [i for i, ln in enumerate(lines) if _ANCHOR.search(ln)]
    n_anchor = min(len(anchors), k // 3)
    if n_anchor:
        picks = [anchors[int(j * len(anchors) / n_anchor)] for j in range(n_anchor)]
        keep = [s for s in starts if all(abs(s - p) > stride // 2 for p in picks)]
        starts = sorted(set(keep[: k - n_anchor] + [max(0, p - rnd.randint(5, 40)) for p in picks]))
    out = []
    for start in starts:
        if start >= n_lines or (out and start < out[-1][1]):
            continue
        want = rnd.randint(WIN_MIN, max(WIN_MIN, min(WIN_MAX, stride - stride // 4)))
        end, size = start, 0
        while end < n_lines and end - start < want:
            b = len(lines[end].encode()) + 1
            if size + b > LOG_MAX:
                break
            size += b
            end += 1
        if end - start < WIN_MIN:
            continue
        out.append((start, end))
    return out


def log_cases(kind, files, per_file, licence, extra_meta=None):
    """files: [(name, path, run_meta)]; per_file: {name: number of windows}."""
    loaded = []
    for name, path, meta in files:
        p = Path(path)
        if not p.is_file():
            continue
        txt = p.read_bytes().decode("utf-8", errors="replace")
        loaded.append((name, str(p), meta, txt.split("\n")[:-1] if txt.endswith("\n") else txt.split("\n")))
    lab = Labeler([(n, ls) for n, _, _, ls in loaded])
    ver = drain_version()
    cases = []
    for name, path, meta, lines in loaded:
        k = per_file.get(name, 1)
        for a, b in windows(len(lines), lines, k, f"{kind}/{name}"):
            text = "\n".join(lines[a:b]) + "\n"
            case = Case(kind, f"sed -n '{a + 1},{b}p' {path}", text,
                        f"drain3 {ver} TemplateMiner (default config) parameters, mined over all {kind} logs",
                        licence, allow_digits2=True)
            case.meta.update({"log_file": name, "window": [a + 1, b], "file_lines": len(lines),
                              "drain3": ver, "drain_clusters": lab.n_clusters, "run": meta})
            if extra_meta:
                case.meta.update(extra_meta)
            off = 0
            for i in range(a, b):
                ln = lines[i]
                for o, v in lab.params(name, i, ln):
                    if len(v) >= 3 or (len(v) == 2 and v.isdigit()):
                        case.span(off + o, v)
                off += len(ln) + 1
            cases.append(case)
    return cases
