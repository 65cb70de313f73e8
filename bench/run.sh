#!/usr/bin/env bash
# Builds the same generated archives with dossier, Hugo and the "floor"
# (Markdown to HTML and nothing else) and writes the results table into
# BENCHMARKS.md. See BENCHMARKS.md for what is compared and how.
#
#   bench/run.sh                          # 1,000 and 10,000 briefings
#   SIZES="1000 10000 100000" bench/run.sh
#
# Knobs (environment):
#   SIZES       briefing counts, default "1000 10000"
#   RUNS        hyperfine runs per command, default 5 (WARMUP, default 1)
#   SLOW_SECS   a tool whose single measured run took longer than this gets
#               WARMUP=0 and SLOW_RUNS (default 3) runs instead; default 60
#   HUGO_LIMIT  seconds Hugo may take for one build before it is skipped at
#               that size, default 180
#   HUGO_MEM_GB address-space cap for that build (ulimit -v), default 16: Hugo
#               needs about 0.35 GB per thousand briefings and would take the
#               machine down at 100,000
#   BENCH_DIR   work folder, default /dev/shm/dossier-bench (tmpfs) or
#               /tmp/dossier-bench without /dev/shm
#   SEED        corpus seed, default 2017
#   QUIET_WAIT  seconds to wait for other processes to go quiet before each
#               size is measured, default 300 (measured anyway after that)
#   DOSSIER_REV how to name the dossier build in the table when not run from a
#               git checkout (default: the commit, and whether src/ has changes)
#   SEARCH_SIZES sizes also built with search on (the default in a site;
#               off above for equal work with Hugo), default: every size
#   SEARCH_RUNS hyperfine runs of that build, default 3 (1 past SLOW_SECS)
#   NO_WRITE=1  print the table without touching BENCHMARKS.md
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=bench/lib.sh
. bench/lib.sh

sizes=${SIZES:-"1000 10000"}
runs=${RUNS:-5}
warmup=${WARMUP:-1}
slow_secs=${SLOW_SECS:-60}
slow_runs=${SLOW_RUNS:-3}
hugo_limit=${HUGO_LIMIT:-180}
hugo_mem_gb=${HUGO_MEM_GB:-16}
seed=${SEED:-2017}
quiet_wait=${QUIET_WAIT:-300}
search_sizes=${SEARCH_SIZES:-$sizes}
search_runs=${SEARCH_RUNS:-3}
work=$(bench_work_dir dossier-bench)

bench_need bench/run.sh "" hyperfine hugo python3 /usr/bin/time

echo "== building dossier, gen-corpus and floor (release)" >&2
cargo build --release --quiet --bin dossier --example gen-corpus --example floor --example rebuild
dossier=$repo/target/release/dossier
gen=$repo/target/release/examples/gen-corpus
floor=$repo/target/release/examples/floor
rebuild=$repo/target/release/examples/rebuild

bench_fresh_dir bench/run.sh "$work" results.tsv
results=$work/results.tsv
: >"$results"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; }

# Busy and total CPU jiffies of the whole machine so far.
cpu_jiffies() {
  local _ user nice system idle iowait irq softirq steal
  read -r _ user nice system idle iowait irq softirq steal _ </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) $((user + nice + system + idle + iowait + irq + softirq + steal))"
}

# Waits until the machine has been idle (under 10% busy) for three seconds in
# a row, at most $quiet_wait seconds: with two cores, someone else's compile
# halves any tool's speed. Records how long it waited, or that it gave up.
wait_quiet() {
  local n=$1 waited=0 quiet=0 b1 t1 b2 t2
  while ((quiet < 3)); do
    read -r b1 t1 < <(cpu_jiffies)
    sleep 1
    read -r b2 t2 < <(cpu_jiffies)
    if ((100 * (b2 - b1) < 10 * (t2 - t1))); then quiet=$((quiet + 1)); else quiet=0; fi
    waited=$((waited + 1))
    if ((waited >= quiet_wait)); then
      echo "   warning: the machine is still busy after $quiet_wait s; measuring anyway" >&2
      record "$n" all busy_start 1
      return
    fi
  done
  ((waited > 3)) && echo "   waited $waited s for other processes to go quiet" >&2
  return 0
}

# Peak RSS (kB), user+sys CPU (s) and wall time (s) from `/usr/bin/time -v` output.
parse_time() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def grab(label):
    m = re.search(re.escape(label) + r": (.+)", text)
    return m.group(1).strip() if m else "0"
wall = 0.0
for part in grab("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
    wall = wall * 60 + float(part)
cpu = float(grab("User time (seconds)")) + float(grab("System time (seconds)"))
print(grab("Maximum resident set size (kbytes)"), f"{cpu:.2f}", f"{wall:.2f}")
PY
}

# Counts what a tool wrote: HTML pages, all files' bytes.
count_output() {
  local out=$1 tool=$2 n=$3
  record "$n" "$tool" pages "$(find "$out" -name '*.html' | wc -l)"
  record "$n" "$tool" bytes "$(find "$out" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}')"
  # Hugo 0.111 writes a redirect page at <list>/page/1/ for every paginated
  # list, even with disableAliases; dossier makes no such page.
  record "$n" "$tool" redirects "$(find "$out" -path '*/page/1/index.html' | wc -l)"
}

for n in $sizes; do
  corpus=$work/corpus-$n
  out_dossier=$work/out-dossier-$n
  out_hugo=$work/out-hugo-$n
  out_floor=$work/out-floor-$n
  hugo_site=$work/hugo-site-$n

  echo "== $n briefings: generating $corpus" >&2
  "$gen" --count "$n" --seed "$seed" --out "$corpus" --hugo-content

  # The Hugo project is copied so that its lock file and caches stay out of
  # the repository; mounts.toml points it at this corpus.
  mkdir -p "$hugo_site"
  cp -r bench/hugo/hugo.toml bench/hugo/layouts "$hugo_site/"
  cat >"$hugo_site/mounts.toml" <<EOF
# Written by bench/run.sh: the generated corpus as Hugo's content.
[[module.mounts]]
source = "$corpus/content"
target = "content"
excludeFiles = ["people/**", "countries/**", "topics/**"]
[[module.mounts]]
source = "$corpus/hugo-content"
target = "content"
[[module.mounts]]
source = "$corpus/themes/dossier/static"
target = "static"
[[module.mounts]]
source = "layouts"
target = "layouts"
EOF

  clean_dossier="rm -rf $out_dossier $work/.out-dossier-$n.staging $work/.out-dossier-$n.old"
  cmd_dossier="$dossier build --root $corpus --output $out_dossier"
  clean_hugo="rm -rf $out_hugo"
  cmd_hugo="hugo --source $hugo_site --config hugo.toml,mounts.toml --destination $out_hugo --quiet"
  clean_floor="rm -rf $out_floor"
  cmd_floor="$floor --root $corpus --output $out_floor"

  # One run of each under /usr/bin/time: peak memory, CPU, what was written.
  wait_quiet "$n"
  names=() prepares=() commands=() slow=0
  for tool in dossier hugo floor; do
    clean=clean_$tool cmd=cmd_$tool out=out_$tool
    echo "== $n briefings: $tool, one run under /usr/bin/time" >&2
    eval "${!clean}"
    status=0
    if [[ $tool == hugo ]]; then
      timeout "$hugo_limit" bash -c 'ulimit -v "$1"; shift; exec "$@"' _ "$((hugo_mem_gb * 1024 * 1024))" \
        /usr/bin/time -v -o "$work/time-$tool-$n.txt" ${!cmd} >"$work/log-$tool-$n.txt" 2>&1 || status=$?
      if ((status != 0)); then
        if ((status == 124)); then
          reason="over $hugo_limit s"
        else
          reason="failed under a $hugo_mem_gb GB memory cap (log-hugo-$n.txt)"
        fi
        echo "   hugo skipped at $n: $reason" >&2
        record "$n" hugo skipped "$reason"
        eval "${!clean}"
        continue
      fi
    else
      /usr/bin/time -v -o "$work/time-$tool-$n.txt" ${!cmd} >"$work/log-$tool-$n.txt" 2>&1 || status=$?
    fi
    if ((status != 0)); then
      echo "bench/run.sh: $tool failed at $n briefings (see $work/log-$tool-$n.txt):" >&2
      tail -20 "$work/log-$tool-$n.txt" >&2
      exit 1
    fi
    read -r rss cpu wall < <(parse_time "$work/time-$tool-$n.txt")
    record "$n" "$tool" rss_kb "$rss"
    record "$n" "$tool" cpu_s "$cpu"
    count_output "${!out}" "$tool" "$n"
    eval "${!clean}" # tmpfs is memory: one tool's output at a time
    if python3 -c "import sys; sys.exit(0 if float('$wall') > $slow_secs else 1)"; then slow=1; fi
    names+=(-n "$tool")
    prepares+=(--prepare "${!clean}")
    commands+=("${!cmd}")
  done

  # Timing: a clean output folder before every run, for every tool.
  r=$runs w=$warmup
  if ((slow)); then r=$slow_runs w=0; fi
  record "$n" all runs "$r"
  echo "== $n briefings: hyperfine, $w warmup + $r runs" >&2
  hf_args=(--warmup "$w" --runs "$r" --export-json "$work/hyperfine-$n.json" --style basic)
  for i in "${!commands[@]}"; do
    hf_args+=("${names[$((2 * i))]}" "${names[$((2 * i + 1))]}" "${prepares[$((2 * i))]}" "${prepares[$((2 * i + 1))]}" "${commands[$i]}")
  done
  # The CPU the machine spent during the timing runs beyond hyperfine and
  # what it ran is someone else's: reported as a check on the numbers.
  wait_quiet "$n"
  read -r b1 t1 < <(cpu_jiffies)
  /usr/bin/time -f "%e %U %S" -o "$work/hyperfine-cpu-$n.txt" hyperfine "${hf_args[@]}" >&2
  read -r b2 t2 < <(cpu_jiffies)
  read -r hf_wall hf_user hf_sys <"$work/hyperfine-cpu-$n.txt"
  record "$n" all foreign_cpu_pct "$(python3 -c "
ticks = $(getconf CLK_TCK)
busy = ($b2 - $b1) / ticks
ours = $hf_user + $hf_sys
capacity = ($t2 - $t1) / ticks
print(f'{max(0.0, busy - ours) / capacity * 100:.1f}')")"

  # A no-op rebuild: the same dossier command over its own, unchanged output.
  echo "== $n briefings: dossier no-op rebuild" >&2
  eval "$clean_dossier"
  $cmd_dossier >/dev/null 2>&1
  hyperfine --warmup "$w" --runs "$r" --style basic --export-json "$work/hyperfine-noop-$n.json" \
    -n dossier-noop "$cmd_dossier" >&2

  # With search on: the same corpus through a root of links to it whose
  # dossier.yaml says `search: true`. Not compared with Hugo, which builds
  # no index; reported on a row of its own.
  if [[ " $search_sizes " == *" $n "* ]]; then
    search_root=$work/corpus-$n-search
    out_search=$work/out-search-$n
    mkdir -p "$search_root"
    for entry in "$corpus"/*; do
      [[ $(basename "$entry") == dossier.yaml ]] || ln -s "$entry" "$search_root/"
    done
    sed 's/^search: false$/search: true/' "$corpus/dossier.yaml" >"$search_root/dossier.yaml"
    grep -q '^search: true$' "$search_root/dossier.yaml" || {
      echo "bench/run.sh: the corpus's dossier.yaml has no \`search: false\` line to turn on" >&2
      exit 1
    }
    clean_search="rm -rf $out_search $work/.out-search-$n.staging $work/.out-search-$n.old"
    cmd_search="$dossier build --root $search_root --output $out_search"
    echo "== $n briefings: dossier with search on, one run under /usr/bin/time" >&2
    eval "$clean_search"
    if ! /usr/bin/time -v -o "$work/time-search-$n.txt" $cmd_search >"$work/log-search-$n.txt" 2>&1; then
      echo "bench/run.sh: dossier with search on failed at $n briefings (see $work/log-search-$n.txt):" >&2
      tail -20 "$work/log-search-$n.txt" >&2
      exit 1
    fi
    read -r rss cpu wall < <(parse_time "$work/time-search-$n.txt")
    record "$n" dossier-search rss_kb "$rss"
    record "$n" dossier-search cpu_s "$cpu"
    count_output "$out_search" dossier-search "$n"
    sr=$search_runs
    if python3 -c "import sys; sys.exit(0 if float('$wall') > $slow_secs else 1)"; then sr=1; fi
    record "$n" dossier-search runs "$sr"
    echo "== $n briefings: dossier with search on, hyperfine, $sr runs" >&2
    wait_quiet "$n"
    hyperfine --warmup 0 --runs "$sr" --style basic --export-json "$work/hyperfine-search-$n.json" \
      -n dossier-search --prepare "$clean_search" "$cmd_search" >&2
    # Again over its own output, nothing changed: the index's parts are
    # taken from it and no briefing page is read for its record.
    echo "== $n briefings: dossier with search on, no-op rebuild, $sr runs" >&2
    [[ -d $out_search ]] || $cmd_search >/dev/null 2>&1
    hyperfine --warmup 0 --runs "$sr" --style basic \
      --export-json "$work/hyperfine-search-noop-$n.json" -n dossier-search-noop "$cmd_search" >&2
    eval "$clean_search"
    rm -rf "$search_root"
  fi

  # serve's rebuild path, 20 edits of each kind, each rebuild timed from the
  # file's change to its pages written (the watcher's debounce comes on top):
  # one briefing's body; a topic added to it and taken away; a person no
  # briefing names added to its tags and taken away (a term comes and goes);
  # the role, then an alias, in the profile of a person it names, and back.
  for kind in "edit:" "retag:--tags" "person:--new-person" "role:--role" "alias:--alias"; do
    key=${kind%%:*}
    flag=${kind#*:}
    echo "== $n briefings: serve rebuild, $key${flag:+ ($flag)}" >&2
    # shellcheck disable=SC2086 # no flag at all for the body edit
    line=$("$rebuild" --root "$corpus" --edits 20 $flag | tail -n 1)
    echo "$line" >&2
    record "$n" dossier "serve_${key}_ms" "$(sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$line")"
    record "$n" dossier "serve_${key}_pages" "$(sed -E 's/.*, ([0-9]+) pages re-rendered.*/\1/' <<<"$line")"
  done
  # And new briefings, added one at a time, then removed one at a time.
  echo "== $n briefings: serve rebuild after a new briefing, and after removing one" >&2
  new_lines=$("$rebuild" --root "$corpus" --edits 10 --new)
  echo "$new_lines" >&2
  for kind in new removed; do
    line=$(grep "^$kind briefing" <<<"$new_lines")
    record "$n" dossier "serve_${kind}_ms" "$(sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$line")"
    record "$n" dossier "serve_${kind}_pages" "$(sed -E 's/.*, ([0-9]+) pages re-rendered.*/\1/' <<<"$line")"
  done

  # Keep tmpfs small between sizes: only the numbers are needed now.
  rm -rf "$corpus" "$out_dossier" "$out_hugo" "$out_floor" "$hugo_site"
done

# Machine and versions, for the header of the table.
{
  echo "cpu	$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores	$(nproc)"
  echo "mem	$(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "os	$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  if [[ -z ${DOSSIER_REV:-} ]]; then
    DOSSIER_REV=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "unknown commit")
    if [[ -n $(git -C "$repo" status --porcelain -- src themes Cargo.toml 2>/dev/null) ]]; then
      DOSSIER_REV+=" + uncommitted changes"
    fi
  fi
  echo "dossier	$("$dossier" --version | awk '{print $2}') at $DOSSIER_REV"
  echo "hugo	$(hugo version | awk '{print $2}')"
  echo "hyperfine	$(hyperfine --version | awk '{print $2}')"
  echo "rustc	$(rustc --version | awk '{print $2}')"
  echo "workdir	$work"
  echo "date	$(date -u +%Y-%m-%d)"
} >"$work/machine.tsv"

python3 "$repo/bench/report.py" "$work" "$repo/BENCHMARKS.md" ${NO_WRITE:+--no-write}
