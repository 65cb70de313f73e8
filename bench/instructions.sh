#!/usr/bin/env bash
# Counts the instructions one build executes, with valgrind's callgrind, for
# dossier and for the floor on the same generated archive, one thread each,
# and lists where dossier's go. Wall time on this kind of virtual machine moves
# by 15-40% from one hour to the next (BENCHMARKS.md, "Fresh memory on this
# machine"); the instruction count of a build does not, so this is the way to
# compare two commits, or a change and its absence, on a noisy machine. It does
# not see the kernel's share (system time), nor cache misses.
#
#   bench/instructions.sh                 # 1,000 briefings, about a minute
#   COUNT=10000 bench/instructions.sh     # about three minutes
#
# Knobs (environment):
#   COUNT      briefings in the generated archive, default 1000
#   SEED       corpus seed, default 2017 (bench/run.sh's)
#   TOP        how many of dossier's functions to list, default 20
#   BENCH_DIR  work folder, default /dev/shm/dossier-instructions (tmpfs) or
#              /tmp/dossier-instructions; callgrind's files stay there for
#              `callgrind_annotate` or KCachegrind
#
# Needs valgrind (`apt-get install valgrind`) and python3.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
count=${COUNT:-1000}
seed=${SEED:-2017}
top=${TOP:-20}
work=$(bench_work_dir dossier-instructions)

bench_need bench/instructions.sh "apt-get install valgrind python3" valgrind callgrind_annotate python3

echo "== building dossier, gen-corpus and floor (release)" >&2
(cd "$repo" && cargo build --release --quiet --bin dossier --example gen-corpus --example floor)
target=$repo/target/release

bench_fresh_dir bench/instructions.sh "$work" dossier.callgrind

echo "== generating $count briefings" >&2
"$target/examples/gen-corpus" --count "$count" --seed "$seed" --out "$work/corpus" >&2

# Runs `$1` (dossier or floor) under callgrind on one thread; prints its count.
count_instructions() {
  local name=$1
  shift
  rm -rf "$work/out"
  if ! RAYON_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$work/$name.callgrind" \
    "$@" >/dev/null 2>"$work/$name.log"; then
    echo "bench/instructions.sh: $name failed under callgrind; the end of $work/$name.log:" >&2
    tail -n 20 "$work/$name.log" >&2
    exit 1
  fi
  rm -rf "$work/out"
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/$name.log"
}

echo "== dossier build under callgrind" >&2
dossier=$(count_instructions dossier "$target/dossier" build --root "$work/corpus" --output "$work/out")
echo "== floor under callgrind" >&2
floor=$(count_instructions floor "$target/examples/floor" --root "$work/corpus" --output "$work/out")

callgrind_annotate --inclusive=yes "$work/dossier.callgrind" >"$work/dossier.inclusive.txt" 2>/dev/null

python3 - "$count" "$dossier" "$floor" "$top" "$work/dossier.inclusive.txt" "$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'PY'
import re, sys

count, dossier, floor, top, listing, commit = sys.argv[1:]
dossier, floor, top = int(dossier), int(floor), int(top)
print(f"{int(count):,} briefings, one thread, dossier at {commit}")
print()
print("| program | instructions | ÷ floor |")
print("| --- | ---: | ---: |")
print(f"| dossier build | {dossier / 1e9:.3f} G | {dossier / floor:.2f}× |")
print(f"| floor | {floor / 1e9:.3f} G | 1.00× |")

# Inclusive counts of dossier's own functions (the pipeline's stages) and of
# the libraries' entry points, each function once: callgrind lists a function
# again under every file its inlined code came from.
line = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+\S+?:(.+?)(?: \[[^\]]*\])?$")
entry_points = (
    "tera::vm::interpreter::VirtualMachine::interpret",
    "pulldown_cmark::html::HtmlWriter<I,W>::run",
    "syntect::html::ClassedHTMLGenerator::parse_html_for_line_which_includes_newline",
    "yaml_serde::loader::Loader::next_document",
)
best = {}
for text in open(listing, encoding="utf-8", errors="replace"):
    m = line.match(text)
    if not m:
        continue
    ir, name = int(m.group(1).replace(",", "")), m.group(2).strip()
    ours = re.match(r"<?dossier::", name) and "rayon::" not in name
    if ours or name in entry_points:
        best[name] = max(best.get(name, 0), ir)
print()
print(f"Where dossier's go (inclusive, the {top} largest). A function's share includes what it")
print("calls, on its own thread: work handed to rayon's pool does not count under `main`.")
print()
print("| function | instructions | share |")
print("| --- | ---: | ---: |")
for name, ir in sorted(best.items(), key=lambda kv: -kv[1])[:top]:
    print(f"| `{name}` | {ir / 1e6:,.1f} M | {100 * ir / dossier:.1f}% |")
PY
echo >&2
echo "callgrind's files: $work/dossier.callgrind, $work/floor.callgrind (callgrind_annotate, KCachegrind)" >&2
