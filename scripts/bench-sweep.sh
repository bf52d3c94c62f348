#!/usr/bin/env bash
# Shows that spindle's cost per entry stays flat as a tree grows: the same shape at several
# sizes, every phase timed, time and peak RSS printed per entry. Linear phases give the same
# microseconds and bytes per entry at every size; a quadratic one doubles them with the size.
#   usage: scripts/bench-sweep.sh [SHAPE...]   (default: flat collide)
#   env:   SIZES (files per tree, default "125000 250000 500000 1000000"),
#          RUNS (runs of each phase, median reported, default 1),
#          BENCH_DIR (default target/scale-sweep), KEEP_IMAGES=1 (keep the images)
# Shapes (trees made once under BENCH_DIR, one per size, and reused):
#   flat     N files of 8 bytes in one directory, file_NNNNNNN.dat
#   collide  N files of 100 bytes in one directory, all alike in the first 26 characters
#            ISO 9660 leaves: IMG_20260101_holiday_photo_number_NNNNNNN.jpeg
# Phases, each a separate process (peak RSS is the process's own, /usr/bin/time %M; CPU time
# is user + system of all its threads, %U + %S):
#   plan    spindle image --print-size -V SWEEP TREE            (survey, naming, layout)
#   write   spindle image -V SWEEP -o IMG TREE                  (all of it, the image written)
#   append  spindle burn IMG --tree added=ONEFILE                (import N entries, one-file session)
#   verify  spindle verify IMG --tree TREE                       (SHA-1 of both sides, compared)
# The image of a size is made by the write phase and deleted after that size (unless
# KEEP_IMAGES=1); the append phase runs on a copy of the original session's state, restored
# before every run. Prints one Markdown table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shapes=("$@")
[[ ${#shapes[@]} -gt 0 ]] || shapes=(flat collide)
sizes=(${SIZES:-125000 250000 500000 1000000})
runs=${RUNS:-1}
dir=${BENCH_DIR:-$root/target/scale-sweep}
mkdir -p "$dir"
(cd "$root" && cargo build --quiet --release -p cli --bin spindle)
spindle="${CARGO_TARGET_DIR:-$root/target}/release/spindle"
command -v /usr/bin/time > /dev/null || { echo "/usr/bin/time is missing (scripts/install-deps.sh)" >&2; exit 1; }

# make_tree SHAPE N: builds $dir/SHAPE-N once (a .done stamp outside the tree marks it whole).
make_tree() {
    local shape=$1 n=$2 out=$dir/$1-$2
    [[ -f $out.done ]] && return
    echo "making $out" >&2
    rm -rf "$out"
    python3 - "$out" "$shape" "$n" <<'PY'
import os, sys
out, shape, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL
os.makedirs(out)
for i in range(n):
    if shape == "flat":
        name, data = "file_%07d.dat" % i, b"%07d\n" % i
    else:
        name = "IMG_20260101_holiday_photo_number_%07d.jpeg" % i
        data = (name.encode() * 3)[:100]
    fd = os.open(os.path.join(out, name), FLAGS, 0o644)
    os.write(fd, data)
    os.close(fd)
PY
    touch "$out.done"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

# timed PHASE SHAPE N CMD...: runs CMD (its output discarded) and appends
# "SHAPE N PHASE wall_s rss_kib cpu_s" to $dir/runs. CPU time (user + system, all threads)
# is what other load on the machine changes least.
timed() {
    local phase=$1 shape=$2 n=$3 t0 t1
    shift 3
    t0=$(now)
    /usr/bin/time -o "$dir/rss" -f "%M %U %S" "$@" > /dev/null 2> "$dir/err" \
        || { echo "$phase $shape $n failed: $*" >&2; cat "$dir/err" >&2; exit 1; }
    t1=$(now)
    read -r rss user sys < "$dir/rss"
    echo "$shape $n $phase $(echo "$t1 - $t0" | bc) $rss $(echo "$user + $sys" | bc)" >> "$dir/runs"
}

mkdir -p "$dir/onefile"
echo "one more file" > "$dir/onefile/new.txt"
: > "$dir/runs"
for shape in "${shapes[@]}"; do
    case $shape in flat|collide) ;; *) echo "unknown shape $shape" >&2; exit 2 ;; esac
    for n in "${sizes[@]}"; do
        make_tree "$shape" "$n"
        tree=$dir/$shape-$n
        img=$dir/$shape-$n.iso
        tar cf - "$tree" 2> /dev/null | cat > /dev/null   # warm the inode and dentry caches
        for _ in $(seq "$runs"); do
            timed plan "$shape" "$n" "$spindle" image --print-size -V SWEEP "$tree"
        done
        for _ in $(seq "$runs"); do
            rm -f "$img"
            timed write "$shape" "$n" "$spindle" image -V SWEEP -o "$img" "$tree"
        done
        # The append adds sectors past the end and rewrites the descriptors at the start:
        # truncating and putting back the first MiB restores the one-session image.
        size=$(stat -c %s "$img")
        head -c 1M "$img" > "$img.head"
        for _ in $(seq "$runs"); do
            timed append "$shape" "$n" "$spindle" burn "$img" --tree "added=$dir/onefile"
            truncate -s "$size" "$img"
            dd if="$img.head" of="$img" conv=notrunc status=none
        done
        for _ in $(seq "$runs"); do
            timed verify "$shape" "$n" "$spindle" verify "$img" --tree "$tree"
        done
        [[ ${KEEP_IMAGES:-} == 1 ]] || rm -f "$img" "$img.head"
    done
done

echo "| shape | files | phase | wall s | µs / file | CPU s | CPU µs / file | peak RSS MiB | RSS B / file |"
echo "|---|---|---|---|---|---|---|---|---|"
for shape in "${shapes[@]}"; do
    for phase in plan write append verify; do
        for n in "${sizes[@]}"; do
            col() { awk -v s="$shape" -v n="$n" -v p="$phase" -v f="$1" '$1==s && $2==n && $3==p {print $f}' "$dir/runs" | median; }
            w=$(col 4); r=$(col 5); c=$(col 6)
            printf '| %s | %s | %s | %.3f | %.2f | %.2f | %.2f | %.1f | %.0f |\n' "$shape" "$n" "$phase" \
                "$w" "$(echo "$w * 1000000 / $n" | bc -l)" "$c" "$(echo "$c * 1000000 / $n" | bc -l)" \
                "$(echo "$r / 1024" | bc -l)" "$(echo "$r * 1024 / $n" | bc -l)"
        done
    done
done
