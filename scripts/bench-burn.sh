#!/usr/bin/env bash
# Benchmarks streaming a tree onto a disc: `spindle burn mock:DIR --tree` (iso9660 plan
# streamed through the burner and the mock drive's MMC emulation into media.img on disk)
# against `xorriso -dev stdio:FILE -map TREE /` (xorriso's own image writer into a file),
# same trees, same run. Then appends sessions 1..4 of equal new data to show that session k
# costs time in proportion to the new data, not to what is already on the disc.
#   usage: scripts/bench-burn.sh [RUNS]   (default 5)
#   env: BENCH_DIR (default target/burn-bench), LARGE_MIB (default 1536), SESSION_MIB (256)
# Prints Markdown tables; BENCHMARKS.md records a run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
dir=${BENCH_DIR:-$root/target/burn-bench}
large_mib=${LARGE_MIB:-1536}
session_mib=${SESSION_MIB:-256}
mkdir -p "$dir"
(cd "$root" && cargo build --quiet --release -p cli --bin spindle)
spindle="${CARGO_TARGET_DIR:-$root/target}/release/spindle"
command -v xorriso > /dev/null || { echo "xorriso is missing (scripts/install-deps.sh)" >&2; exit 1; }

# Trees, built once: small = 20,000 files of 1-16 KiB in 10x10x10 dirs; large = files of
# 256 MiB of random bytes, LARGE_MIB in all; s1..s4 = SESSION_MIB of random bytes each.
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
if [[ ! -f $dir/large/.done-$large_mib ]]; then
    rm -rf "$dir/large"; mkdir -p "$dir/large"
    for i in $(seq 0 $((large_mib / 256 - 1))); do
        head -c 256M /dev/urandom > "$dir/large/file$i.bin"
    done
    touch "$dir/large/.done-$large_mib"
fi
for k in 1 2 3 4; do
    if [[ ! -f $dir/s$k/.done-$session_mib ]]; then
        rm -rf "$dir/s$k"; mkdir -p "$dir/s$k"
        for i in $(seq 0 $((session_mib / 64 - 1))); do
            head -c 64M /dev/urandom > "$dir/s$k/part$i.bin"
        done
        touch "$dir/s$k/.done-$session_mib"
    fi
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# settle: run (untimed) before every timed run, so each starts from the same machine state.
# `sync` writes back what the previous run left dirty. Then 2.2 GB are written to and deleted
# from tmpfs: on a VM whose balloon reports free pages to the host, memory freed a few
# seconds earlier costs a host fault per page when touched again, which made the same
# command vary 1.5-4x between runs; this hands every run the same warm free memory.
settle() {
    sync
    local shm=/dev/shm
    [[ -d $shm && -w $shm ]] || shm=$dir
    head -c 2200M /dev/zero > "$shm/spindle-bench-settle" 2> /dev/null || true
    rm -f "$shm/spindle-bench-settle"
}
now() { date +%s.%N; }
# timed CMD...: runs CMD (output discarded) and prints its wall time in seconds
timed() {
    local t0 t1
    settle
    t0=$(now)
    "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; "$@" >&2; exit 1; }
    t1=$(now)
    echo "$t1 - $t0" | bc
}

mock=$dir/mock
img=$dir/xorriso.iso
ours_new() {   # ours_new MEDIA TREE
    rm -rf "$mock"
    "$spindle" mock new "$mock" --media "$1" > /dev/null 2>&1
    timed "$spindle" burn "mock:$mock" --new-disc -V BENCH --tree "$2"
}
ours_file() {   # ours_file TREE: the same pipeline's image writer into a file, no drive
    rm -f "$dir/ours.iso"
    timed "$spindle" burn "$dir/ours.iso" --new-disc -V BENCH --tree "$1"
}
xorriso_new() {   # xorriso_new TREE [OPTION...]: xorriso's defaults, or with options
    local tree=$1
    shift
    rm -f "$img"
    timed xorriso -abort_on FAILURE "$@" -joliet on -dev "stdio:$img" -volid BENCH -map "$tree" /
}

results=$dir/results.txt
: > "$results"
for tree in small large; do
    src=$dir/$tree
    tar cf - "$src" | cat > /dev/null   # warm the page cache
    ours=() theirs=() nosync=() file=()
    for _ in $(seq "$runs"); do   # interleaved, so all see the same machine
        theirs+=("$(xorriso_new "$src")")
        ours+=("$(ours_new dvd+r "$src")")
        # xorriso fsyncs its stdio: target every 16 MiB by default; this run does not.
        nosync+=("$(xorriso_new "$src" -stdio_sync off)")
        file+=("$(ours_file "$src")")
    done
    o=$(printf '%s\n' "${ours[@]}" | median)
    x=$(printf '%s\n' "${theirs[@]}" | median)
    n=$(printf '%s\n' "${nosync[@]}" | median)
    f=$(printf '%s\n' "${file[@]}" | median)
    # The exact size, from a dry run (an image-file target: nothing is created).
    sectors=$("$spindle" burn "$dir/dry-run.iso" --new-disc --dry-run --tree "$src" | awk '/^sectors:/ {print $2}')
    echo "$tree $o $x $sectors $f $n" | tee -a "$results" >&2
    echo "$tree runs: mock ${ours[*]} | xorriso ${theirs[*]} | xorriso -stdio_sync off ${nosync[*]} | file ${file[*]}" >&2
done

echo "| tree | files | image MB | mock (s, median of $runs) | MB/s | xorriso (s) | xorriso / mock | xorriso -stdio_sync off (s) | that / mock | file (s) | xorriso / file |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
while read -r tree o x sectors f n; do
    files=$(find "$dir/$tree" -type f ! -name '.done*' | wc -l)
    mb=$(echo "$sectors * 2048 / 1000000" | bc -l)
    printf '| %s | %d | %.0f | %.3f | %.0f | %.3f | **%.2fx** | %.3f | %.2fx | %.3f | %.2fx |\n' "$tree" "$files" "$mb" \
        "$o" "$(echo "$mb / $o" | bc -l)" "$x" "$(echo "$x / $o" | bc -l)" \
        "$n" "$(echo "$n / $o" | bc -l)" "$f" "$(echo "$x / $f" | bc -l)"
done < "$results"

# Appends: sessions 1..4 of SESSION_MIB each, on a write-once medium (real sessions), an
# overwritable one (growisofs method) and xorriso on a file. Session 1 is a new disc. The
# sequence is repeated RUNS times, interleaved; the table gives the median per session.
echo
echo "| session k | spindle, DVD+R (s, median of $runs) | spindle, BD-RE (s) | xorriso stdio: (s) |"
echo "|---|---|---|---|"
declare -A t
for _ in $(seq "$runs"); do
    for media in dvd+r bd-re; do
        m=$dir/mock-$media
        rm -rf "$m"
        "$spindle" mock new "$m" --media "$media" > /dev/null 2>&1
    done
    rm -f "$img"
    for k in 1 2 3 4; do
        new=()
        [[ $k == 1 ]] && new=(--new-disc)
        for media in dvd+r bd-re; do
            t[$media,$k]+="$(timed "$spindle" burn "mock:$dir/mock-$media" "${new[@]}" -V BENCH --tree "s$k=$dir/s$k") "
        done
        t[xorriso,$k]+="$(timed xorriso -abort_on FAILURE -joliet on -dev "stdio:$img" -volid BENCH -map "$dir/s$k" "/s$k") "
    done
done
med() { tr ' ' '\n' <<< "$1" | grep . | median; }
for k in 1 2 3 4; do
    printf '| %d | %.3f | %.3f | %.3f |\n' "$k" "$(med "${t[dvd+r,$k]}")" "$(med "${t[bd-re,$k]}")" "$(med "${t[xorriso,$k]}")"
    echo "session $k runs: dvd+r ${t[dvd+r,$k]}| bd-re ${t[bd-re,$k]}| xorriso ${t[xorriso,$k]}" >&2
done
