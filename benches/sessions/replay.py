#!/usr/bin/env python3
"""Session replay benchmark: real recorded agent sessions, turn by turn, through each arm.

    python3 benches/sessions/replay.py [--sessions data/sessions] [--kompress target/release/kompress]
                                       [--formats openai,anthropic] [--arms ...] [--limit N] [--out FILE]

Per arm and API form it reports input tokens, the cached share, the billed input cost with
prompt caching (see billing.py) against no compression, prefix breaks, and the keep rate of
the tokens the agent later reused (see sessions.py):
- "last present": in the last request that still carried the observation (the session's
  last request, or the last one before masking hid it), as the issue defines it;
- "at use": in the request whose answer first reused the token (what the model saw when
  it needed it);
- "+retrievable": tokens not visible but behind a marker whose handle `/v1/retrieve`
  resolves (proxy arms only), counted apart.
A token counts as visible when it is in the observation as forwarded, or in the earlier tool
result that one of its repeat markers names (`[…N lines as in tool result K above, …]`).
Arms: none, proxy-no-repeats, proxy, proxy+history, proxy+history:K (keep_recent = step = K), mask10, headroom,
headroom-unprotected (see arms.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import arms as A  # noqa: E402
import billing  # noqa: E402
import sessions as S  # noqa: E402

HANDLE = re.compile(r"ref=([A-Za-z0-9_-]+)")
REPEAT = re.compile(r"as in tool result (\d+) above")
ALL_ARMS = [
    "none", "proxy-no-repeats", "proxy", "proxy+history", "proxy+history:5", "mask10", "headroom",
    "headroom-unprotected",
]


class Keep:
    def __init__(self):
        self.total = self.last = self.use = self.retrievable = 0

    def add(self, o: "Keep") -> None:
        self.total += o.total
        self.last += o.last
        self.use += o.use
        self.retrievable += o.retrievable


def present(text: str | None) -> bool:
    return text is not None and not A.MASKED.match(text)


def visible(body: dict, fmt: str, k: int) -> set[str]:
    """Words the model sees of observation `k` in `body`: its own text, and the earlier tool
    results its repeat markers point to (the lines stand there)."""
    text = S.observation_in(body, fmt, k) or ""
    seen = S.words(text)
    refs = {int(n) for n in REPEAT.findall(text)}
    if refs:
        results = S.tool_results(body, fmt)
        for n in refs:
            if 0 < n <= len(results):
                seen |= S.words(results[n - 1])
    return seen


def keep(s: S.Session, fmt: str, bodies: list[dict], proxy: A.Proxy | None) -> Keep:
    kp = Keep()
    seen_at: dict[tuple[int, int], set[str]] = {}  # (request, observation) -> visible words

    def sees(t: int, k: int) -> set[str]:
        if (t, k) not in seen_at:
            seen_at[(t, k)] = visible(bodies[t], fmt, k)
        return seen_at[(t, k)]

    for k, toks in s.reused.items():
        if not toks:
            continue
        last = None
        for t in range(len(bodies) - 1, k, -1):
            if present(S.observation_in(bodies[t], fmt, k)):
                last = t
                break
        seen = sees(last, k) if last is not None else set()
        hidden = None
        for tok in toks:
            kp.total += 1
            if tok in seen:
                kp.last += 1
            elif proxy is not None and last is not None:
                if hidden is None:
                    text = S.observation_in(bodies[last], fmt, k) or ""
                    got = " ".join(proxy.retrieve(h, f"{s.name}-{fmt}") for h in set(HANDLE.findall(text)))
                    hidden = S.words(got)
                if tok in hidden:
                    kp.retrievable += 1
            j = s.first_use[(k, tok)]
            if j < len(bodies) and tok in sees(j, k):
                kp.use += 1
    return kp


def off_step_breaks(bodies: list[dict], fmt: str) -> int:
    """Prefix breaks at a request where no earlier observation changed form: a break that is
    not a compaction step (or a masking move)."""
    n = 0
    for t in range(1, len(bodies)):
        prev, cur = billing.parts(bodies[t - 1]), billing.parts(bodies[t])
        if cur[: len(prev)] == prev:
            continue
        changed = any(
            S.observation_in(bodies[t - 1], fmt, k) != S.observation_in(bodies[t], fmt, k)
            for k in range(t - 1)
            if S.observation_in(bodies[t - 1], fmt, k) is not None
        )
        n += not changed
    return n


def run(args) -> str:
    sess = S.load(args.sessions)[: args.limit or None]
    if not sess:
        raise SystemExit(f"no *.traj.json.gz sessions under {args.sessions}")
    arms = args.arms.split(",")
    rows = []
    for fmt in args.formats.split(","):
        provider = "openai" if fmt == "openai" else "anthropic"
        base_cost = {}
        for arm in arms:
            bill, kp, ms, ratios, t0 = billing.Bill(), Keep(), [], [], time.perf_counter()
            off = 0
            up = proxy = None
            if arm.startswith("proxy"):
                # `proxy+history:K`: keep_recent = step = K instead of the defaults
                extra = ""
                if arm.startswith("proxy+history:"):
                    k = int(arm.split(":", 1)[1])
                    extra = f"keep_recent = {k}\nstep = {k}\n"
                up = A.Upstream()
                proxy = A.Proxy(
                    args.kompress, up, history=arm.startswith("proxy+history"), extra=extra,
                    repeats=arm != "proxy-no-repeats",
                )
            try:
                for s in sess:
                    if arm == "none":
                        bodies = A.arm_none(s, fmt)
                    elif arm == "mask10":
                        bodies = A.arm_mask(s, fmt)
                    elif arm == "headroom":
                        bodies = A.arm_headroom(s, fmt)
                    elif arm == "headroom-unprotected":
                        bodies = A.arm_headroom(s, fmt, protect_analysis_context=False)
                    else:
                        bodies, m = A.arm_proxy(proxy, up, s, fmt)
                        ms += m
                    b = billing.bill_session(bodies, provider)
                    bill.add(b)
                    off += off_step_breaks(bodies, fmt)
                    if arm == "none":
                        base_cost[s.name] = b.cost
                    ratios.append(b.cost / base_cost[s.name] if base_cost.get(s.name) else float("nan"))
                    kp.add(keep(s, fmt, bodies, proxy))
                    print(f"  {fmt} {arm} {s.name}: {b.requests} req, cost {b.cost:.0f}", file=sys.stderr)
            finally:
                if proxy:
                    proxy.close()
                if up:
                    up.close()
            secs = time.perf_counter() - t0
            rows.append((fmt, arm, len(sess), bill, kp, ms, ratios, secs, off))
    return table(rows, sess)


def table(rows, sess) -> str:
    base = {(r[0]): r[3] for r in rows if r[1] == "none"}
    n_obs = sum(1 for s in sess for k, v in s.reused.items() if v)
    n_tok = sum(len(v) for s in sess for v in s.reused.values())
    out = [
        f"Machine: {platform.machine()} ({os.cpu_count()} cores), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        f"{len(sess)} sessions, {sum(s.requests for s in sess)} requests each arm and form; "
        f"{n_tok} reused tokens in {n_obs} observations.",
        "",
        "| form | arm | sessions | requests | input tokens | vs none | cached | billed cost (cache) | vs none | "
        "median session vs none | prefix breaks (off a step) | reused keep (last present) | reused keep (at use) | "
        "+retrievable | proxy ms/request p50 | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fmt, arm, n, bill, kp, ms, ratios, secs, off in rows:
        b0 = base.get(fmt)
        vs_in = f"{bill.input_tokens / b0.input_tokens:.3f}" if b0 else "-"
        vs_cost = f"{bill.cost / b0.cost:.3f}" if b0 else "-"
        med = statistics.median([r for r in ratios if r == r]) if any(r == r for r in ratios) else float("nan")
        ret = f"{kp.retrievable / kp.total:.3f}" if arm.startswith("proxy") and kp.total else "-"
        p50 = f"{statistics.median(ms):.1f}" if ms else "-"
        out.append(
            f"| {fmt} | {arm} | {n} | {bill.requests} | {bill.input_tokens} | {vs_in} | "
            f"{bill.cached_tokens / max(bill.input_tokens, 1):.3f} | {bill.cost:.0f} | {vs_cost} | {med:.3f} | "
            f"{bill.prefix_breaks} ({off}) | {kp.last / max(kp.total, 1):.3f} | {kp.use / max(kp.total, 1):.3f} | "
            f"{ret} | {p50} | {secs:.0f} |"
        )
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", default="data/sessions")
    ap.add_argument("--kompress", default="target/release/kompress")
    ap.add_argument("--formats", default="openai,anthropic")
    ap.add_argument("--arms", default=",".join(ALL_ARMS))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    if "none" not in args.arms.split(","):
        args.arms = "none," + args.arms
    md = run(args)
    print(md)
    if args.out:
        with open(args.out, "w") as f:
            f.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
