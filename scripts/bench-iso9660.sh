#!/usr/bin/env bash
# Benchmarks iso9660's writer (through the `mkiso` example) against xorrisofs, genisoimage and
# the tar floor. Every tool writes its image to stdout piped into `cat > /dev/null`. Prints a
# Markdown table of medians; BENCHMARKS.md records a run and these commands.
#   usage: scripts/bench-iso9660.sh [RUNS]   (env BENCH_DIR, default target/iso-bench)
# Trees (built once, deterministic): small = 20,000 files of 1-16 KiB in 10x10x10 dirs;
# large = 8 x 512 MiB random files (4 GiB).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
dir=${BENCH_DIR:-$root/target/iso-bench}
mkdir -p "$dir"
cargo build --quiet --release -p iso9660 --example mkiso
mkiso="${CARGO_TARGET_DIR:-$root/target}/release/examples/mkiso"

if [[ ! -f $dir/small/.done ]]; then
    rm -rf "$dir/small"
    python3 - "$dir/small" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(20000)
for i in range(20000):
    d = os.path.join(root, "d%d/d%d/d%d" % (i % 10, i // 10 % 10, i // 100 % 10))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "file_%06d.dat" % i), "wb") as f:
        f.write(rng.randbytes(1024 + rng.randrange(15 * 1024)))
PY
    touch "$dir/small/.done"
fi
if [[ ! -f $dir/large/.done ]]; then
    rm -rf "$dir/large"; mkdir -p "$dir/large"
    for i in 0 1 2 3 4 5 6 7; do
        head -c 512M /dev/urandom > "$dir/large/file$i.bin"
    done
    touch "$dir/large/.done"
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run LABEL TREE CMD: prints "LABEL TREE wall_s writer_rss_kib" (medians of $runs)
run() {
    local label=$1 tree=$2 cmd=$3 walls=() rsss=()
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s.%N)
        bash -c "$cmd"
        t1=$(date +%s.%N)
        walls+=("$(echo "$t1 - $t0" | bc)")
        rsss+=("$(cat "$dir/rss")")
    done
    printf '%s %s %s %s\n' "$label" "$tree" "$(printf '%s\n' "${walls[@]}" | median)" \
        "$(printf '%s\n' "${rsss[@]}" | median)"
}
T="/usr/bin/time -o $dir/rss -f %M"

results=$dir/results.txt
: > "$results"
for tree in small large; do
    src=$dir/$tree
    tar cf - "$src" | cat > /dev/null   # warm the page cache
    {
        run floor_tar "$tree" "$T tar cf - $src | cat > /dev/null"
        run ours "$tree" "$T $mkiso -r -V LABEL -o - $src | cat > /dev/null"
        run xorrisofs "$tree" "$T xorrisofs -quiet -r -J -V LABEL -o - $src 2>/dev/null | cat > /dev/null"
        run genisoimage "$tree" "$T genisoimage -quiet -r -J -V LABEL $src 2>/dev/null | cat > /dev/null"
        run ours_printsize "$tree" "$T $mkiso --print-size -r -V LABEL $src > /dev/null"
        run xorrisofs_printsize "$tree" "$T xorrisofs -quiet -print-size -r -J -V LABEL $src > /dev/null 2>&1"
    } | tee -a "$results"
done

bytes() { du -sb --apparent-size "$dir/$1" | cut -f1; }
echo
echo "| tree | tool | wall s (median of $runs) | MB/s | files/s | writer max RSS MiB |"
echo "|---|---|---|---|---|---|"
while read -r label tree wall rss; do
    b=$(bytes "$tree"); n=$(find "$dir/$tree" -type f | wc -l)
    printf '| %s | %s | %.3f | %.0f | %.0f | %.1f |\n' "$tree" "$label" "$wall" \
        "$(echo "$b / $wall / 1000000" | bc -l)" "$(echo "$n / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
done < "$results"
