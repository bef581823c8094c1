"""Write bench/RESULTS.md from the latest bench/results/<date>-<scale>.json of each scale.

The verdicts are computed here from TARGETS.md's thresholds (and RELIABILITY G5 and K4's); the
hand-written analysis (causes, what it would take) lives in bench/findings.md and is copied in at the end.
"""

from __future__ import annotations

import json
from pathlib import Path

P1_P95_MS = 100
P1_RATIO = 1.5
P2_QUERIES = 15
P3_RATIO = 1.0
P4_RATIO = 0.20
P5_RATIO = 1.15
P6_RSS_MB = 1024
P7_FIRST_LOAD = 100 * 1024
P7_FRAGMENT = 15 * 1024
P8_SECONDS = 3.0
P8_PHOTO_SECONDS = 5.0
P9_SAVED_SECONDS = 1.0
P9_ON_SERVER_SECONDS = 30.0
G5_TPS_RATIO = 0.5  # UPDATE transactions/s with the audit ÷ without, at least
G5_POST_RATIO = 1.2  # progress POST p95 with the audit ÷ without, at most
K4_DROP = 0.30  # a K4 ratio to hello more than 30 % below the baseline's fails
K4_BASELINE = Path(__file__).resolve().with_name("k4-baseline.json")
K4_BASELINE_RUNS = 5
SECTION_LABELS = {
    "pages": "P1/P2 pages",
    "fragments": "P2 fragments",
    "p3": "P3",
    "p4": "P4",
    "p5": "P5/P6",
    "p7": "P7",
    "p8": "P8",
    "p9": "P9",
    "g5": "G5",
    "k4": "K4",
}


def g5_verdict(g5: dict) -> bool | None:
    """Both G5 targets met; None when either was not measured."""
    update, post = g5.get("update", {}), g5.get("post", {})
    if update.get("ratio") is None or post.get("ratio_p95") is None:
        return None
    return update["ratio"] >= G5_TPS_RATIO and post["ratio_p95"] <= G5_POST_RATIO and not g5.get("audit_left_disabled")


def k4_problems(k4: dict, baseline: dict | None) -> list[str]:
    """What fails K4: a socket error or a non-2xx answer on any URL, or a ratio to hello more than
    K4_DROP below the baseline's. Empty when it passes."""
    problems = []
    for name in ("hello", "healthz", "login"):
        figures = k4.get(name, {})
        if figures.get("socket_errors"):
            problems.append(f"{name}: {figures['socket_errors']} socket errors")
        if figures.get("non_2xx"):
            problems.append(f"{name}: {figures['non_2xx']} non-2xx answers")
    for name, ratio in (k4.get("ratios") or {}).items():
        before = (baseline or {}).get("ratios", {}).get(name)
        if ratio is not None and before and ratio < before * (1 - K4_DROP):
            problems.append(f"{name} ÷ hello {ratio:.2f} < {before * (1 - K4_DROP):.2f} (baseline {before:.2f} − 30 %)")
    return problems


def k4_verdict(k4: dict, baseline: dict | None) -> bool | None:
    if not k4 or "error" in k4:
        return None if not k4 else False
    if k4_problems(k4, baseline):
        return False
    return True if baseline else None


def read_k4_baseline(path: Path = K4_BASELINE) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def save_k4_baseline(run: dict | None, path: Path = K4_BASELINE) -> Path:
    """Add the K4 figures of ``run`` to the baseline later runs compare to; its ratios are the median
    of the last K4_BASELINE_RUNS runs kept in it (one run's ratio moves by ±20 % on a busy 2-core
    machine). Delete the file to start a new baseline, on another machine for instance."""
    import statistics

    k4 = (run or {}).get("k4") or {}
    if not k4.get("ratios") or "error" in k4 or k4_problems(k4, None):
        raise SystemExit(f"no clean K4 figures to keep as the baseline: {k4.get('error') or k4_problems(k4, None)}")
    entry = {
        "measured_at": run.get("carried_over", {}).get("k4", run["started_at"]),
        "machine": f"{run['machine']['nproc']} CPU ({run['machine']['cpu']})",
        "ratios": k4["ratios"],
        "requests_per_second": {name: k4[name]["requests_per_second"] for name in ("hello", "healthz", "login")},
    }
    kept = (read_k4_baseline(path) or {}).get("runs", [])
    runs = [r for r in kept if r["measured_at"] != entry["measured_at"]][-(K4_BASELINE_RUNS - 1) :] + [entry]
    baseline = {
        "how": "python -m bench --only k4 --save-k4-baseline adds a run; ratios = median of the runs below",
        "ratios": {name: round(statistics.median(r["ratios"][name] for r in runs), 4) for name in k4["ratios"]},
        "measured_at": f"{runs[0]['measured_at']} – {runs[-1]['measured_at']}"
        if len(runs) > 1
        else entry["measured_at"],
        "machine": ", ".join(sorted({r["machine"] for r in runs})),
        "command": {
            name: k4[name]["command"].rsplit(" ", 1)[0] + f" <server>{k4[name]['path']}"
            for name in ("hello", "healthz", "login")
        },
        "runs": runs,
    }
    path.write_text(json.dumps(baseline, ensure_ascii=False, indent=2) + "\n")
    return path


def latest(results: Path, scale: str, label: str = "") -> dict | None:
    suffix = f"-{scale}-{label}.json" if label else f"-{scale}.json"
    files = sorted(f for f in results.glob(f"*{suffix}") if f.name.count("-") == suffix.count("-") + 2)
    return json.loads(files[-1].read_text()) if files else None


def labels(results: Path) -> list[str]:
    """Variant runs (``python -m bench --label NAME``): files named <yyyy-mm-dd>-<scale>-<NAME>.json."""
    found = set()
    for path in results.glob("*.json"):
        parts = path.stem.split("-", 4)
        if len(parts) == 5 and parts[3] in {"city", "national"}:
            found.add(parts[4])
    return sorted(found)


def variant_lines(results: Path, label: str) -> list[str]:
    lines = [f"## Variant `{label}`, against the plain run", ""]
    for scale in ("city", "national"):
        plain, variant = latest(results, scale), latest(results, scale, label)
        if not plain or not variant:
            continue
        lines += [
            f"**{scale}** — variant {variant['started_at']} (PostgreSQL options "
            f"`{variant['settings'].get('postgresql_options') or '—'}`), plain {plain['started_at']}:",
            "",
            "| page | plain p50 / p95 ms | variant p50 / p95 ms | p95 variant ÷ plain |",
            "|---|---|---|---|",
        ]
        for key, page in variant.get("pages", {}).items():
            before = plain.get("pages", {}).get(key, {})
            if "p95_ms" not in page or "p95_ms" not in before:
                continue
            lines.append(
                f"| {page['label']} | {ms(before['p50_ms'])} / {ms(before['p95_ms'])} | "
                f"{ms(page['p50_ms'])} / {ms(page['p95_ms'])} | {page['p95_ms'] / before['p95_ms']:.2f} |"
            )
        for name, entry in variant.get("p3", {}).items():
            before = plain.get("p3", {}).get(name, {})
            lines.append(f"| P3 {name}: ours ÷ admin | {before.get('ratio_p50', '—')} | {entry['ratio_p50']} | |")
        if "ratio" in variant.get("p4", {}):
            lines.append(
                f"| P4 dashboard ÷ hello | {plain.get('p4', {}).get('ratio', '—')} | {variant['p4']['ratio']} | |"
            )
        lines.append("")
    return lines


def yes(ok: bool | None) -> str:
    return "—" if ok is None else ("✅ met" if ok else "❌ not met")


def ms(value) -> str:
    return "—" if value is None else f"{value:,.1f}"


def kb(value) -> str:
    return "—" if value is None else f"{value / 1024:,.1f}"


def page_row(key: str, city: dict, national: dict) -> tuple[str, bool | None]:
    c, n = city.get(key, {}), national.get(key, {})
    label = (n or c).get("label", key)
    ratio = n["p95_ms"] / c["p95_ms"] if "p95_ms" in c and "p95_ms" in n else None
    fast = n["p95_ms"] < P1_P95_MS if "p95_ms" in n else None
    scales = fast and ratio is not None and ratio <= P1_RATIO if fast is not None else None
    fixed = None
    if "queries" in c and "queries" in n:
        fixed = c["queries"] == n["queries"] and n["queries"] <= P2_QUERIES
    error = n.get("error") or c.get("error")
    cells = [
        f"{label} `{(n or c).get('path', '')}`",
        ms(c.get("p50_ms")),
        ms(c.get("p95_ms")),
        str(c.get("queries", "—")),
        ms(n.get("p50_ms")),
        ms(n.get("p95_ms")),
        str(n.get("queries", "—")),
        "—" if ratio is None else f"{ratio:.2f}",
        "error: " + error if error else f"{yes(scales)} / {yes(fixed)}",
    ]
    return "| " + " | ".join(cells) + " |", (scales, fixed)


def machine_lines(run: dict) -> list[str]:
    m = run["machine"]
    return [
        f"- {m['nproc']} CPU ({m['cpu']}), {m['ram_gb']} GB RAM, {m['os']}; load average at start {m['load_average_at_start']}",
        f"- Python {m['python']}, Django {m['django']}, PostgreSQL {m['postgresql']} "
        f"(shared_buffers {m['postgresql_shared_buffers']}), WeasyPrint {m['weasyprint']}, gunicorn {m['gunicorn']}, {m['wrk']}",
    ]


def write(results: Path, target: Path) -> Path:
    city, national = latest(results, "city"), latest(results, "national")
    runs = [r for r in (city, national) if r]
    if not runs:
        target.write_text("# Benchmark results\n\nNo results yet: run `make bench`.\n")
        return target
    city_pages = (city or {}).get("pages", {})
    national_pages = (national or {}).get("pages", {})
    lines = ["# Benchmark results (`make bench`)", ""]
    lines += [
        "Generated by `python -m bench` from the latest `bench/results/<date>-<scale>.json`; do not edit by hand",
        "(the analysis at the end comes from `bench/findings.md`). Targets: `../shared/docs/TARGETS.md`.",
        "",
        "## Runs and machine",
        "",
    ]
    for run in runs:
        s = run["sizes"]
        lines.append(
            f"**{run['scale']}** — {run['started_at']}, database `{run['database']}`: {s['units']:,} units, "
            f"{s['partnerships']:,} partnerships, {s['commitments']:,} commitments, {s['progress_updates']:,} progress "
            f"updates ({s['awaiting_review']:,} awaiting review), {s['activities']:,} activities, {s['users']:,} users. "
            f"Largest partnership: #{run['cast']['largest_partnership']} with "
            f"{run['cast']['largest_partnership_commitments']} commitments; the officer's unit "
            f"{run['cast']['officer_unit']} owns {run['cast']['officer_unit_commitments']}. "
            f"{run['settings']['requests']} timed requests per page after {run['settings']['warmup']} warm-up "
            f"requests; DEBUG={run['settings']['debug']}; whole run {run.get('seconds', '?')} s."
        )
        lines.append("")
        if run.get("carried_over"):
            since: dict[str, list[str]] = {}
            for key, when in run["carried_over"].items():
                since.setdefault(when, []).append(SECTION_LABELS.get(key, key))
            lines.append(
                "Not measured in this run, figures kept from earlier runs: "
                + "; ".join(f"{', '.join(sorted(names))} from {when}" for when, names in sorted(since.items()))
                + "."
            )
            lines.append("")
        lines += machine_lines(run)
        lines.append("")

    # --- Summary --------------------------------------------------------------------------------
    verdicts = {}
    page_lines = []
    for key in national_pages or city_pages:
        line, (scales, fixed) = page_row(key, city_pages, national_pages)
        page_lines.append(line)
        verdicts.setdefault("P1", []).append(scales)
        verdicts.setdefault("P2", []).append(fixed)
    fragment_lines = []
    for key in (national or city).get("fragments", {}):
        line, (_scales, fixed) = page_row(key, (city or {}).get("fragments", {}), (national or {}).get("fragments", {}))
        fragment_lines.append(line)
        verdicts["P2"].append(fixed)

    def all_met(values):
        values = list(values)
        if not values or any(v is None for v in values):
            return None
        return all(values)

    p3 = (national or city).get("p3", {})
    p3_ok = all_met(entry["ratio_p50"] <= P3_RATIO for entry in p3.values()) if p3 else None
    p4 = (national or city).get("p4", {})
    p4_ok = p4["ratio"] >= P4_RATIO if "ratio" in p4 else None
    p5 = (city or {}).get("p5", {})
    p5_ok = p5["ratio"] <= P5_RATIO if p5.get("ratio") is not None else (False if p5 else None)
    p6 = (national or {}).get("p5", {})
    p6_done = bool(p6.get("end_to_end_seconds"))
    p6_ok = p6_done and p6.get("peak_rss_mb", 1e9) < P6_RSS_MB and (p6.get("cores_used") or 0) > 1.2 if p6 else None
    weights = [r for r in runs if "p7" in r]
    first_loads = [load for r in weights for load in r["p7"]["first_load"].values()]
    fragments_all = [f for r in runs for f in r.get("fragments", {}).values() if "gzip_bytes" in f]
    p7_ok = (
        all_met(
            [load["total_gzip_bytes"] < P7_FIRST_LOAD and not load["external_requests"] for load in first_loads]
            + [f["gzip_bytes"] < P7_FRAGMENT for f in fragments_all]
        )
        if first_loads
        else None
    )
    worst_page = max((p for p in national_pages.values() if "p95_ms" in p), key=lambda p: p["p95_ms"], default=None)
    worst_load = max(first_loads, key=lambda load: load["total_gzip_bytes"], default=None)
    worst_fragment = max(fragments_all, key=lambda f: f["gzip_bytes"], default=None)
    lines += ["## Summary", "", "| # | target | measured (same run) | verdict |", "|---|---|---|---|"]
    lines.append(
        f"| P1 | every page p95 < {P1_P95_MS} ms at national, and ≤ {P1_RATIO} × city | worst national p95: "
        + (f"{worst_page['label']} {ms(worst_page['p95_ms'])} ms" if worst_page else "—")
        + f"; {sum(1 for v in verdicts.get('P1', []) if v)}/{len(verdicts.get('P1', []))} pages meet both | "
        + yes(all_met(verdicts.get("P1", [])))
        + " |"
    )
    lines.append(
        f"| P2 | ≤ {P2_QUERIES} queries per page, the same at city and national | "
        f"{sum(1 for v in verdicts.get('P2', []) if v)}/{len(verdicts.get('P2', []))} pages and fragments | "
        + yes(all_met(verdicts.get("P2", [])))
        + " |"
    )
    lines.append(
        f"| P3 | our commitment list ÷ admin changelist (p50) ≤ {P3_RATIO} | "
        + ", ".join(f"{name} {entry['ratio_p50']:.2f}" for name, entry in p3.items())
        + f" ({(national or city)['scale']}) | {yes(p3_ok)} |"
    )
    lines.append(
        f"| P4 | dashboard ÷ hello requests/s ≥ {P4_RATIO} | "
        + (
            f"{p4['dashboard']['requests_per_second']:,.1f} ÷ {p4['hello']['requests_per_second']:,.1f} = {p4['ratio']:.3f}"
            f" ({(national or city)['scale']})"
            if "ratio" in p4
            else p4.get("error", "not measured")
        )
        + f" | {yes(p4_ok)} |"
    )
    lines.append(
        f"| P5 | city report: request → PDF ÷ WeasyPrint alone ≤ {P5_RATIO} | "
        + (
            f"{p5['end_to_end_seconds']:.2f} s ÷ {p5['weasyprint_seconds']:.2f} s = {p5['ratio']:.3f}"
            if p5.get("ratio") is not None
            else (p5.get("error") or (p5.get("runs") or [{}])[0].get("error") or "not measured")
        )
        + f" | {yes(p5_ok)} |"
    )
    if p6:
        first = (p6.get("runs") or [{}])[0]
        p6_text = (
            f"finished in {p6['end_to_end_seconds']:.1f} s, {first.get('pages')} pages"
            if p6_done
            else f"did not finish: {first.get('status', '?')} — {first.get('error') or p6.get('error', '')}"
        )
        p6_text += f"; peak RSS {p6.get('peak_rss_mb_pipeline', p6.get('peak_rss_mb', '?'))} MB; cores used {p6.get('cores_used', '?')}"
        beyond = p6.get("beyond_limit")
        if beyond:
            p6_text += (
                f". Its HTML rendered anyway by WeasyPrint alone: {beyond['weasyprint_seconds']} s, {beyond['pages']} pages, "
                f"peak RSS {beyond['peak_rss_mb']} MB, {beyond['cores_used']} cores"
            )
    else:
        p6_text = "not measured"
    lines.append(
        f"| P6 | national quarterly report finishes, peak RSS < 1 GB, both cores | {p6_text.replace('|', '/')} | "
        f"{yes(p6_ok)} |"
    )
    lines.append(
        "| P7 | first load < 100 KB gzip (fonts excluded), fragment < 15 KB, no other host | "
        + (
            f"largest first load {kb(worst_load['total_gzip_bytes'])} KB; largest fragment "
            f"{kb(worst_fragment['gzip_bytes']) if worst_fragment else '—'} KB"
            if worst_load
            else "not measured"
        )
        + f" | {yes(p7_ok)} |"
    )
    p8 = city.get("p8", {}) if city else {}
    p8_photo = p8.get("photo", {})
    p8_ok = p8["median_s"] < P8_SECONDS and not p8["errors"] if "median_s" in p8 else None
    if p8_ok is not None and p8_photo:
        p8_ok = p8_ok and p8_photo["median_s"] < P8_PHOTO_SECONDS and p8_photo.get("progress_shown", False)
    lines.append(
        f"| P8 | progress form on Slow 3G: confirmation < {P8_SECONDS:g} s, < {P8_PHOTO_SECONDS:g} s with a photo, "
        "progress shown | "
        + (
            f"median {p8['median_s']:.2f} s, slowest {p8['max_s']:.2f} s over {p8['submissions']} submissions (city)"
            + (
                f"; with one photo ({', '.join(str(kb) for kb in p8_photo['photo_kb'])} KB) median "
                f"{p8_photo['median_s']:.2f} s, slowest {p8_photo['max_s']:.2f} s, progress "
                f"{'shown' if p8_photo.get('progress_shown') else 'NOT shown'}"
                if p8_photo
                else ""
            )
            if "median_s" in p8
            else "; ".join(p8.get("errors", [])).replace("|", "/")[:300] or "not measured"
        )
        + f" | {yes(p8_ok)} |"
    )
    p9 = city.get("p9", {}) if city else {}
    p9_ok = None
    if "saved_max_s" in p9 and "on_server_max_s" in p9:
        p9_ok = (
            p9["saved_max_s"] < P9_SAVED_SECONDS and p9["on_server_max_s"] < P9_ON_SERVER_SECONDS and not p9["errors"]
        )
    lines.append(
        f"| P9 | report written offline: saved on the phone < {P9_SAVED_SECONDS:g} s; on the server once, "
        f"< {P9_ON_SERVER_SECONDS:g} s after the connection returns (two photos) | "
        + (
            f"saved in at most {p9['saved_max_s']:.2f} s; on the server after at most {p9['on_server_max_s']:.2f} s "
            f"({p9['reports']} reports, {p9['photos_per_report']} photos each, Slow 3G)"
            if p9_ok is not None
            else "; ".join(p9.get("errors", [p9.get("error", "")])).replace("|", "/")[:300] or "not measured"
        )
        + f" | {yes(p9_ok)} |"
    )
    g5 = (city or {}).get("g5", {})
    g5_update, g5_post = g5.get("update", {}), g5.get("post", {})
    lines.append(
        f"| G5 | audit: single-row UPDATE TPS with ÷ without ≥ {G5_TPS_RATIO}; progress POST p95 with ÷ without "
        f"≤ {G5_POST_RATIO} | "
        + (
            f"UPDATE {g5_update['on']['tps']:,.0f} ÷ {g5_update['off']['tps']:,.0f} TPS = {g5_update['ratio']:.2f}"
            if g5_update.get("ratio") is not None
            else f"UPDATE: {g5_update.get('error', 'not measured')}"
        )
        + "; "
        + (
            f"POST p95 {ms(g5_post['on']['p95_ms'])} ÷ {ms(g5_post['off']['p95_ms'])} ms = {g5_post['ratio_p95']:.2f}"
            if g5_post.get("ratio_p95") is not None
            else f"POST: {g5_post.get('error', 'not measured')}"
        ).replace("|", "/")
        + (" (city)" if g5 else "")
        + f" | {yes(g5_verdict(g5) if g5 else None)} |"
    )
    k4 = (city or {}).get("k4", {})
    k4_baseline = read_k4_baseline(target.with_name(K4_BASELINE.name))
    if "ratios" in k4:
        k4_text = "; ".join(
            f"{name} {k4[name]['requests_per_second']:,.0f} req/s = {k4['ratios'][name]:.2f} × hello"
            + (f" (baseline {k4_baseline['ratios'][name]:.2f})" if k4_baseline else "")
            for name in k4["ratios"]
        )
        k4_text += "; " + ("; ".join(k4_problems(k4, k4_baseline)) or "0 socket errors, 0 non-2xx")
        if not k4_baseline:
            k4_text += "; no baseline (bench/k4-baseline.json)"
    else:
        k4_text = k4.get("error", "not measured").replace("|", "/")[:300]
    lines.append(
        "| K4 | `/healthz` and login under wrk -c64: 0 socket errors, 0 non-2xx; requests/s ÷ hello not more "
        f"than 30 % below the baseline | {k4_text} | {yes(k4_verdict(k4, k4_baseline))} |"
    )
    lines.append("")

    # --- Details --------------------------------------------------------------------------------
    lines += [
        "## P1/P2: server time in-process and queries per request",
        "",
        "Django test client against the scale database, production settings (DEBUG off, cached templates),",
        "signed in as city staff (my-unit: an officer of the unit owning the most commitments). Time is the",
        "whole request through every middleware; queries are counted on one more request, session and user",
        "lookups included.",
        "",
        "| page | city p50 ms | city p95 ms | city queries | national p50 ms | national p95 ms | national queries | p95 national ÷ city | P1 / P2 |",
        "|---|---|---|---|---|---|---|---|---|",
        *page_lines,
        "",
        "### htmx fragments",
        "",
        "| fragment | city p50 ms | city p95 ms | city queries | national p50 ms | national p95 ms | national queries | p95 national ÷ city | P1 / P2 |",
        "|---|---|---|---|---|---|---|---|---|",
        *fragment_lines,
        "",
    ]
    lines += ["## P3: our commitment list against Django admin's changelist", ""]
    for run in runs:
        lines.append(f"**{run['scale']}** (same user, 25 rows a page, same order, requests alternated one by one):")
        lines.append("")
        lines.append("| rows | ours p50 / p95 ms (queries) | admin p50 / p95 ms (queries) | ratio p50 | ratio p95 |")
        lines.append("|---|---|---|---|---|")
        for name, entry in run.get("p3", {}).items():
            ours, admin = entry["portal"], entry["admin"]
            lines.append(
                f"| {name} | {ms(ours['p50_ms'])} / {ms(ours['p95_ms'])} ({ours.get('queries', '?')}) | "
                f"{ms(admin['p50_ms'])} / {ms(admin['p95_ms'])} ({admin.get('queries', '?')}) | "
                f"{entry['ratio_p50']:.2f} | {entry['ratio_p95']:.2f} |"
            )
        lines.append("")
    lines += ["## P4: throughput under gunicorn (2 sync workers) and wrk", ""]
    for run in runs:
        load = run.get("p4")
        if not load:
            continue
        if "error" in load:
            lines += [f"**{run['scale']}**: {load['error']}", ""]
            continue
        lines.append(
            f"**{run['scale']}** — `{load['hello']['command']}`, 40 signed-in sessions picked at random per request:"
        )
        lines.append("")
        lines.append("| URL | requests/s | p50 ms | p99 ms | requests | non-2xx | socket errors |")
        lines.append("|---|---|---|---|---|---|---|")
        for name in ("hello", "dashboard"):
            r = load[name]
            lines.append(
                f"| {name} | {r['requests_per_second']:,.1f} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | "
                f"{r['requests']:,} | {r['non_2xx']} | {r['socket_errors'] or '0'} |"
            )
        lines.append(f"| **ratio dashboard ÷ hello** | **{load.get('ratio', 0):.3f}** | | | | | |")
        lines.append("")
    if k4:
        lines += ["## K4: raw throughput of /healthz and the login page (wrk -t2 -c64)", ""]
        if "error" in k4:
            lines += [f"**city**: {k4['error']}", ""]
        else:
            lines += [
                f"**city** — gunicorn (2 sync workers), `wrk -t2 -c{k4['connections']}`, {k4['seconds']} s a URL in "
                f"{k4['rounds']} rounds taking turns, every URL asked without a cookie; the reference is the hello "
                "view made public (`/bench/hello/public/`: like the other two, no database, no session). A later "
                "ratio more than 30 % below the baseline "
                "(`bench/k4-baseline.json`"
                + (
                    f", measured {k4_baseline['measured_at']} on {k4_baseline['machine']}"
                    if k4_baseline
                    else ", none yet"
                )
                + ") fails.",
                "",
                "| URL | requests/s | per round | p50 ms | p99 ms | requests | non-2xx | socket errors | ÷ hello | baseline ÷ hello |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
            for name in ("hello", "healthz", "login"):
                r = k4[name]
                ratio = k4["ratios"].get(name)
                before = (k4_baseline or {}).get("ratios", {}).get(name)
                lines.append(
                    f"| {name} `{r['path']}` | "
                    f"{r['requests_per_second']:,.1f} | {', '.join(f'{x:,.0f}' for x in r['rounds_requests_per_second'] if x is not None)} | "
                    f"{ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {r['requests']:,} | {r['non_2xx']} | {r['socket_errors']} | "
                    f"{'1' if name == 'hello' else f'{ratio:.2f}'} | {'' if name == 'hello' else (f'{before:.2f}' if before else '—')} |"
                )
            lines.append("")
    lines += ["## P5/P6: report pipeline", ""]
    for run in runs:
        report = run.get("p5")
        if not report:
            continue
        lines.append(f"**{run['scale']}** — city-wide report of {report.get('period', '?')}:")
        lines.append("")
        if report.get("error"):
            lines += ["```", report["error"][-800:], "```", ""]
            continue
        lines.append("| run | status | request → PDF s | WeasyPrint alone s | pages | HTML KB | error |")
        lines.append("|---|---|---|---|---|---|---|")
        for index, r in enumerate(report.get("runs", []), start=1):
            lines.append(
                f"| {index} | {r['status']}{' (warm-up, untimed)' if r.get('warmup') else ''} | {r['seconds']:.2f} | {r.get('weasyprint_seconds', '—')} | "
                f"{r.get('pages') or '—'} | {kb(r.get('html_bytes'))} | {r.get('error') or ''} |"
            )
        beyond = report.get("beyond_limit")
        if beyond:
            lines.append(
                f"\nRefused as too large; the same HTML ({kb(beyond['html_bytes'])} KB, {beyond['table_rows']:,} table "
                f"rows counted) rendered by WeasyPrint alone: {beyond['weasyprint_seconds']} s, {beyond['pages']} pages, "
                f"peak RSS {beyond['peak_rss_mb']} MB, {beyond['cores_used']} cores."
            )
        lines.append(
            f"\nMedian ratio {report.get('ratio') or '—'}; peak RSS of the process (all of the above) "
            f"{report.get('peak_rss_mb', '?')} MB; "
            f"CPU {report.get('cpu_seconds', '?')} s over {report.get('wall_seconds', '?')} s wall = "
            f"{report.get('cores_used', '?')} cores."
        )
        lines.append("")
    lines += [
        "## P7: page weight (gzip level 6)",
        "",
        "First load = the page's HTML plus every same-site file it pulls in (stylesheet, scripts, icons,",
        "images, CSS url()s), fonts excluded; a browser caches the static files after that.",
        "",
        "| page | scale | HTML KB | static KB | first load KB | other hosts |",
        "|---|---|---|---|---|---|",
    ]
    for run in weights:
        for key, load in run["p7"]["first_load"].items():
            label = run["pages"].get(key, {}).get("label", key)
            lines.append(
                f"| {label} | {run['scale']} | {kb(load['html_gzip_bytes'])} | "
                f"{kb(sum(load['assets_gzip_bytes'].values()))} | {kb(load['total_gzip_bytes'])} | "
                f"{', '.join(load['external_requests']) or 'none'} |"
            )
    lines += ["", "| fragment | scale | KB gzip | KB raw |", "|---|---|---|---|"]
    for run in runs:
        for f in run.get("fragments", {}).values():
            if "gzip_bytes" in f:
                lines.append(
                    f"| {f['label']} `{f['path']}` | {run['scale']} | {kb(f['gzip_bytes'])} | {kb(f['bytes'])} |"
                )
    lines.append("")
    if p8:
        lines += [
            "## P8: progress form on a slow link",
            "",
            "gunicorn (2 workers, production settings, WhiteNoise) and Debian's Chromium through Playwright: a",
            f"phone viewport on {p8.get('profile', 'Slow 3G')}. The officer of the busiest unit opens one of",
            "their commitments and the progress dialog, types a value and a sentence (no photo), and presses",
            "“Gửi báo cáo”; timed from the press to the confirmation on screen (`bench/slow_link.py`).",
            "",
            f"Submissions: {p8.get('submissions', 0)}; times (s): {', '.join(f'{t:.2f}' for t in p8.get('timings_s', []))}"
            + (f"; errors: {'; '.join(p8['errors'])}" if p8.get("errors") else ""),
            "",
        ]
        if p8_photo:
            lines += [
                "With one phone photo (4000 × 3000, shrunk in the browser before sending): "
                f"{p8_photo['submissions']} submissions, times (s): "
                f"{', '.join(f'{t:.2f}' for t in p8_photo['timings_s'])}; progress seen while sending: "
                f"{' → '.join(p8_photo.get('progress_seen', [])) or 'none'}.",
                "",
            ]
    if p9:
        lines += [
            "## P9: a progress report written with no connection",
            "",
            "The same server and phone. The officer opens “Đơn vị của tôi” once online (the service worker keeps it",
            "and the progress forms), the connection drops, they write each report with two photos and press “Gửi",
            "báo cáo”: timed to “Đã lưu trên máy” on screen. Then the connection returns on Slow 3G and the time",
            "runs until every report is in the database with both photos (`bench/slow_link.py`, `measure_offline`).",
            "",
            f"Saved on the phone (s): {', '.join(f'{t:.2f}' for t in p9.get('saved_s', []))}; on the server after "
            f"reconnecting (s): {', '.join(f'{t:.2f}' for t in p9.get('on_server_s', []))}"
            + (f"; errors: {'; '.join(p9['errors'])}" if p9.get("errors") else ""),
            "",
        ]
    if g5:
        lines += [
            "## G5: what the audit costs a write",
            "",
            "django-pghistory's triggers switched off (`ALTER TABLE … DISABLE TRIGGER` on its own triggers only:",
            'foreign keys and the dashboard\'s change counter keep running) for the "off" side, on again for "on";',
            "why this and not `session_replication_role` or `pgtrigger.ignore`: `bench/audit.py`. Everything the",
            "measurement wrote is removed afterwards.",
            "",
        ]
        if g5_update.get("runs"):
            lines += [
                f"**Single-row UPDATE** (pgbench, city) — `{g5_update['command']}`: a random commitment's "
                "`updated_at`, in one query string with pghistory's context as the portal sends it; runs in the "
                "order shown.",
                "",
                "| run | audit | TPS | latency ms | transactions | failed |",
                "|---|---|---|---|---|---|",
            ]
            for index, run in enumerate(g5_update["runs"], start=1):
                lines.append(
                    f"| {index} | {run['audit']} | {run['tps']:,.1f} | {run['latency_ms']} | {run['transactions']:,} | {run['failed']} |"
                )
            if g5_update.get("ratio") is not None:
                lines.append(
                    f"| **mean** | on ÷ off | **{g5_update['on']['tps']:,.1f} ÷ {g5_update['off']['tps']:,.1f} = "
                    f"{g5_update['ratio']:.3f}** | | | |"
                )
            lines.append("")
        elif g5_update.get("error"):
            lines += [f"**Single-row UPDATE**: {g5_update['error']}", ""]
        if g5_post.get("ratio_p95") is not None:
            lines += [
                f"**Progress-update POST** (Django test client, city, as `{g5_post['user']}`): {g5_post['rounds']} "
                f"rounds of a block of {g5_post['block']} POSTs with the audit on and one with it off (order alternating, "
                'one untimed POST after each switch); "off" also leaves out pghistory\'s HistoryMiddleware.',
                "",
                "| audit | n | p50 ms | p95 ms | min ms | max ms |",
                "|---|---|---|---|---|---|",
            ]
            for side in ("on", "off"):
                f = g5_post[side]
                lines.append(
                    f"| {side} | {f['n']} | {ms(f['p50_ms'])} | {ms(f['p95_ms'])} | {ms(f['min_ms'])} | {ms(f['max_ms'])} |"
                )
            lines.append(f"| **on ÷ off** | | {g5_post['ratio_p50']:.2f} | **{g5_post['ratio_p95']:.2f}** | | |")
            lines.append("")
        elif g5_post.get("error"):
            lines += [f"**Progress-update POST**: {g5_post['error']}", ""]
        if g5.get("audit_left_disabled"):
            lines += [f"**Audit triggers left disabled after the run**: {', '.join(g5['audit_left_disabled'])}", ""]
    for label in labels(results):
        lines += variant_lines(results, label)
    findings = target.with_name("findings.md")
    if findings.exists():
        lines += [findings.read_text().rstrip(), ""]
    target.write_text("\n".join(lines))
    return target
