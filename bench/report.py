#!/usr/bin/env python3
"""Turns the numbers bench/run.sh collected into a Markdown table.

Usage: report.py WORK_DIR BENCHMARKS_MD [--no-write]

Reads WORK_DIR/results.tsv (size, tool, metric, value), the hyperfine JSON
exports and machine.tsv; prints the table and, unless --no-write, puts it in
BENCHMARKS_MD between the bench:begin and bench:end markers.
"""

import json
import os
import sys
from collections import defaultdict

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
SERVE_DEBOUNCE_MS = 40


def load_results(work):
    results = defaultdict(dict)  # (size, tool) -> {metric: value}
    sizes = []
    with open(os.path.join(work, "results.tsv")) as f:
        for line in f:
            size, tool, metric, value = line.rstrip("\n").split("\t")
            size = int(size)
            if size not in sizes:
                sizes.append(size)
            results[(size, tool)][metric] = value
    return sizes, results


def load_timings(work, size):
    """tool -> (median, fastest, slowest) in seconds, from hyperfine's exports."""
    timings = {}
    for name in (
        f"hyperfine-{size}.json",
        f"hyperfine-noop-{size}.json",
        f"hyperfine-search-{size}.json",
        f"hyperfine-search-noop-{size}.json",
    ):
        path = os.path.join(work, name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for r in json.load(f)["results"]:
                timings[r["command"]] = (r["median"], min(r["times"]), max(r["times"]))
    return timings


def load_machine(work):
    machine = {}
    with open(os.path.join(work, "machine.tsv")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            machine[key] = value
    return machine


def seconds(median, fastest, slowest):
    """The median, then the fastest and slowest run, to the same digits."""
    digits = 3 if median < 10 else 2 if median < 100 else 0
    return f"{median:.{digits}f} s ({fastest:.{digits}f}–{slowest:.{digits}f})"


def megabytes(n):
    return f"{n / 1e6:.1f} MB"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}×"


def table(work):
    sizes, results = load_results(work)
    machine = load_machine(work)
    lines = [
        f"Measured {machine.get('date', '?')} on {machine.get('cpu', '?')}, "
        f"{machine.get('cores', '?')} cores, {machine.get('mem', '?')} of memory, "
        f"{machine.get('os', '?')}; dossier {machine.get('dossier', '?')}, "
        f"Hugo {machine.get('hugo', '?')}, hyperfine {machine.get('hyperfine', '?')}, "
        f"rustc {machine.get('rustc', '?')}; files on {machine.get('workdir', '?')}.",
        "",
        "| briefings | build | wall time, median (fastest–slowest) | ÷ Hugo | ÷ floor | CPU, user + sys | peak RSS | HTML pages | bytes written |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    notes = []
    for size in sizes:
        timings = load_timings(work, size)
        median = {tool: t[0] for tool, t in timings.items()}
        runs = results[(size, "all")].get("runs", "?")
        label = f"{size:,}"
        rows = [("dossier", "dossier"), ("hugo", "Hugo"), ("floor", "floor")]
        for tool, name in rows:
            r = results.get((size, tool), {})
            if "skipped" in r:
                lines.append(
                    f"| {label} | {name} | skipped: {r['skipped']} | — | — | — | — | — | — |"
                )
                continue
            if tool not in timings:
                continue
            m = timings[tool][0]
            pages = int(r.get("pages", 0))
            redirects = int(r.get("redirects", 0))
            pages_text = f"{pages:,}"
            if redirects:
                pages_text += f" ({pages - redirects:,} + {redirects:,} redirects)"
            lines.append(
                f"| {label} | {name} | {seconds(*timings[tool])} | {ratio(m, median.get('hugo'))} "
                f"| {ratio(m, median.get('floor'))} | {float(r['cpu_s']):.2f} s "
                f"| {int(r['rss_kb']) / 1024:.0f} MiB | {pages_text} | {megabytes(int(float(r['bytes'])))} |"
            )
        if "dossier-noop" in timings:
            m = timings["dossier-noop"][0]
            lines.append(
                f"| {label} | dossier, no-op rebuild | {seconds(*timings['dossier-noop'])} "
                f"| {ratio(m, median.get('hugo'))} | {ratio(m, median.get('floor'))} | | | | |"
            )
        if "dossier-search" in timings:
            r = results.get((size, "dossier-search"), {})
            pages = int(r.get("pages", 0))
            search_runs = r.get("runs", "?")
            plural = "" if search_runs == "1" else "s"
            lines.append(
                f"| {label} | dossier, search on ({search_runs} run{plural}) "
                f"| {seconds(*timings['dossier-search'])} | — | — "
                f"| {float(r.get('cpu_s', 0)):.2f} s | {int(r.get('rss_kb', 0)) / 1024:.0f} MiB "
                f"| {pages:,} | {megabytes(int(float(r.get('bytes', 0))))} |"
            )
        if "dossier-search-noop" in timings:
            lines.append(
                f"| {label} | dossier, search on, no-op rebuild "
                f"| {seconds(*timings['dossier-search-noop'])} | — | — | | | | |"
            )
        for key, what in (
            ("serve_edit", "one-briefing edit"),
            ("serve_retag", "one-briefing tag change"),
            ("serve_person", "a new person tagged, then untagged"),
            ("serve_role", "a profile's new role, and back"),
            ("serve_alias", "a profile's new alias, and back"),
            ("serve_new", "new briefing"),
            ("serve_removed", "removed briefing"),
        ):
            edit = results[(size, "dossier")].get(f"{key}_ms")
            if edit is None:
                continue
            pages = results[(size, "dossier")].get(f"{key}_pages", "?")
            lines.append(
                f"| {label} | dossier serve, {what} | {float(edit):.1f} ms "
                f"(+ {SERVE_DEBOUNCE_MS} ms debounce) | | | | | {pages} re-rendered | |"
            )
        note = f"{label}: {runs} runs"
        foreign = results[(size, "all")].get("foreign_cpu_pct")
        if foreign is not None:
            note += f", other processes took {foreign}% of the CPU meanwhile"
        if results[(size, "all")].get("busy_start"):
            note += ", started on a busy machine"
        notes.append(note)
    lines.append("")
    lines.append(
        "Wall times are the medians of hyperfine's runs, each into a clean output folder, "
        "with the fastest and slowest run in brackets ("
        + "; ".join(notes)
        + "); the ratios are of medians. CPU, peak RSS, pages and bytes come from one further run under "
        "`/usr/bin/time -v`. Hugo's HTML count includes the `…/page/1/` redirect "
        "pages it writes for every paginated list. The search-on row builds the same corpus with "
        "`search: true` (the Pagefind index, in parts): not compared with Hugo, which builds no "
        "index; its no-op rebuild takes every part from the output it rebuilds."
    )
    return "\n".join(lines)


def write(path, block):
    text = open(path).read() if os.path.exists(path) else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(f"{head}{BEGIN}\n{block}\n{END}{tail}")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    work, benchmarks = args
    block = table(work)
    print(block)
    if "--no-write" not in sys.argv:
        write(benchmarks, block)
        print(f"\n(written to {benchmarks})", file=sys.stderr)


if __name__ == "__main__":
    main()
