#!/usr/bin/env bash
# `dossier serve` on a generated archive with search on, while a writer saves
# one briefing again and again: how long each rebuild took (as serve prints
# it) and when the search index was written. See BENCHMARKS.md, "serve's
# search index while a writer saves".
#
#   bench/serve_saves.sh                  # 10,000 briefings, a save every 2 s for 60 s
#   COUNT=1000 EVERY=1 FOR=30 bench/serve_saves.sh
#
# Knobs (environment):
#   COUNT     briefings in the generated archive, default 10000
#   EVERY     seconds between saves, default 2
#   FOR       seconds of saving, default 60
#   NEW=1     each save is a new briefing (a copy under a slug of its own)
#             instead of a line added to the same one
#   DOSSIER   the binary, default target/release/dossier (built if missing)
#   BENCH_DIR work folder, default /dev/shm/dossier-saves or /tmp/dossier-saves
#   SEED      corpus seed, default 2017
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
count=${COUNT:-10000}
every=${EVERY:-2}
seconds=${FOR:-60}
seed=${SEED:-2017}
dossier=${DOSSIER:-target/release/dossier}
if [ -d /dev/shm ]; then default_dir=/dev/shm/dossier-saves; else default_dir=/tmp/dossier-saves; fi
work=${BENCH_DIR:-$default_dir}

if [ ! -x "$dossier" ]; then
    cargo build --release --bin dossier
fi
corpus="$work/corpus-$count"
if [ ! -d "$corpus" ]; then
    cargo run --quiet --release --example gen-corpus -- --count "$count" --seed "$seed" --out "$corpus"
fi
site="$work/site"
rm -rf "$site"
cp -r "$corpus" "$site"
# The generated config turns search off (for equal work with Hugo): on here.
sed -i 's/^search: false$/search: true/' "$site/dossier.yaml"
grep -q '^search: true$' "$site/dossier.yaml" || echo 'search: true' >> "$site/dossier.yaml"

# A briefing of the newest year; with NEW=1 its copies are dated the
# archive's last day, where a writer's new briefing goes (one dated among the
# oldest would move every part of the index one place).
briefing=$(find "$site/content/briefings" -name '*.md' | sort -r | sed -n 1p)
last_day=$(grep -rh '^date: ' "$site/content/briefings" | sort | sed -n '$p')
log="$work/serve.log"
"$dossier" serve --root "$site" --port 0 > "$log" 2>&1 &
server=$!
trap 'kill -INT $server 2>/dev/null || true' EXIT
until grep -q '^Serving ' "$log"; do
    kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
done
end=$((SECONDS + seconds))
saves=0
while [ "$SECONDS" -lt "$end" ]; do
    saves=$((saves + 1))
    if [ "${NEW:-0}" = 1 ]; then
        sed -e "s/^slug: .*/slug: saved-briefing-$saves/" -e "s/^date: .*/$last_day/" "$briefing" \
            > "$(dirname "$briefing")/saved-briefing-$saves.md"
    else
        echo "A sentence added by save $saves." >> "$briefing"
    fi
    sleep "$every"
done
sleep 1
kill -INT $server
wait $server 2>/dev/null || true
trap - EXIT

echo "$count briefings, a save every $every s for $seconds s ($saves saves), $(git rev-parse --short HEAD)"
grep '^first build' "$log"
echo "rebuilds, ms, in order: $(grep ' changed: ' "$log" | sed 's/.* in \([0-9]*\) ms$/\1/' | tr '\n' ' ')"
indexes=$(grep -c '^search index' "$log" || true)
echo "search indexes written: $indexes"
grep '^search index' "$log" || true
