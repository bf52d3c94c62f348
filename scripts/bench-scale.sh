#!/usr/bin/env bash
# Benchmarks spindle's image writer on trees shaped to find superlinear costs (many names
# that collide in ISO 9660 form, a million files in one directory, deep trees, appending to a
# million-file image) against xorrisofs/xorriso and genisoimage, side by side in one run.
#   usage: scripts/bench-scale.sh [RUNS] [SHAPE[:RUNS]...]   (default 3 runs, every shape)
#   env:   BENCH_DIR (default target/scale-bench), MILLION (files of the flat shape,
#          default 1000000), PEER_TIMEOUT (seconds before a peer run is abandoned and that
#          peer is not run again on that shape, default 300),
#          TABLE_ONLY=1 (print the table of the last run again)
# Shapes (trees made once under BENCH_DIR and reused; a tree is remade only if its .done
# stamp is missing):
#   collide20k   one directory of 20,000 files IMG_20260101_holiday_photo_number_NNNNN.jpeg
#                (100 bytes each); --print-size
#   collide100k  the same with 100,000 names; --print-size
#   long200x500  200 directories of long names x 500 such files (100,000 files, 1 KiB each);
#                the image piped into cat
#   deep40       250 chains of directories 40 levels deep, 10 files in each directory
#                (100,000 files, 10,000 directories, 100 bytes each); the image piped into cat
#   flat1m       MILLION files of 8 bytes in one directory; the image piped into cat
#   append1m     a one-file session appended to an image of flat1m (spindle burn FILE --tree
#                against xorriso -dev stdio:FILE -map ... -commit), on the same base image
#   verify1m     the image of flat1m checked against flat1m: spindle verify IMG --tree flat1m,
#                and Cedar's consistency check (the function `store` calls with check_data:
#                the consistency_check example) against `sha1sum` over the same files
#                (find -print0 | xargs -0 sha1sum); printed as a second table
# Time is wall clock around the whole pipeline; peak RSS is the writer's own (/usr/bin/time
# %M around the writer only). Every figure is the median of RUNS runs, tools interleaved.
# Prints one Markdown table; BENCHMARKS.md records a run and these commands.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
shift || true
shapes=("$@")
[[ ${#shapes[@]} -gt 0 ]] || shapes=(collide20k collide100k long200x500 deep40 flat1m append1m)
dir=${BENCH_DIR:-$root/target/scale-bench}
million=${MILLION:-1000000}
peer_timeout=${PEER_TIMEOUT:-300}
mkdir -p "$dir"
(cd "$root" && cargo build --quiet --release -p cli --bin spindle --example consistency_check)
spindle="${CARGO_TARGET_DIR:-$root/target}/release/spindle"
check="${CARGO_TARGET_DIR:-$root/target}/release/examples/consistency_check"
for t in xorriso xorrisofs genisoimage sha1sum /usr/bin/time; do
    command -v "$t" > /dev/null || { echo "$t is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

# make_tree SHAPE: builds the tree once. Files are written with os.open/os.write so that a
# million of them take about a minute, not ten.
make_tree() {
    local shape=$1 out=$dir/$1
    [[ $shape == append1m || $shape == verify1m ]] && return
    local stamp=$out/.done
    [[ $shape == flat1m ]] && stamp=$out/.done-$million
    [[ -f $stamp ]] && return
    echo "making $out" >&2
    rm -rf "$out"
    python3 - "$out" "$shape" "$million" <<'PY'
import os, sys
out, shape, million = sys.argv[1], sys.argv[2], int(sys.argv[3])
FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL

def put(path, data):
    fd = os.open(path, FLAGS, 0o644)
    os.write(fd, data)
    os.close(fd)

def photos(d, n, size, width):
    os.makedirs(d, exist_ok=True)
    for i in range(n):
        name = "IMG_20260101_holiday_photo_number_%0*d.jpeg" % (width, i)
        put(os.path.join(d, name), (name.encode() * (size // len(name) + 1))[:size])

if shape == "collide20k":
    photos(out, 20000, 100, 5)
elif shape == "collide100k":
    photos(out, 100000, 100, 6)
elif shape == "long200x500":
    for a in range(200):
        photos(os.path.join(out, "holiday_album_number_%03d_from_the_family_archive" % a),
               500, 1024, 5)
elif shape == "deep40":
    for c in range(250):
        d = os.path.join(out, "chain_%03d" % c)
        for level in range(40):
            d = os.path.join(d, "level_%02d_directory" % level)
            os.makedirs(d)
            for f in range(10):
                put(os.path.join(d, "file_%02d.dat" % f), b"x" * 100)
elif shape == "flat1m":
    os.makedirs(out)
    for i in range(million):
        put(os.path.join(out, "file_%07d.dat" % i), b"%07d\n" % i)
PY
    touch "$stamp"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
T="/usr/bin/time -o $dir/rss -f %M"

# timed LABEL CMD: runs CMD (a bash command line that puts $T before the writer) and appends
# "LABEL wall_s rss_kib" to $dir/runs; a run past PEER_TIMEOUT is recorded as "timeout", and
# that label is not run again (quadratic peers would otherwise take hours).
timed() {
    local label=$1 cmd=$2 t0 t1
    if grep -q "^$label timeout" "$dir/runs"; then return; fi
    rm -f "$dir/rss"
    t0=$(now)
    if timeout "$peer_timeout" bash -c "$cmd" > /dev/null 2>&1; then
        t1=$(now)
        echo "$label $(echo "$t1 - $t0" | bc) $(cat "$dir/rss")" >> "$dir/runs"
    else
        echo "$label timeout -" >> "$dir/runs"
        echo "$label: failed or timed out: $cmd" >&2
    fi
}

# The append shape's base image (made once by spindle from flat1m) is restored before every
# run: appends only add sectors past its end and rewrite the volume descriptors at the start,
# so truncating to the base size and putting back its first MiB gives the same file again.
base=$dir/append-base.iso
prepare_append() {
    if [[ ! -f $base.done-$million ]]; then
        rm -f "$base" "$base".done-*
        "$spindle" image -V BASE -o "$base" "$dir/flat1m"
        head -c 1M "$base" > "$base.head"
        mkdir -p "$dir/onefile"
        echo "one more file" > "$dir/onefile/new.txt"
        touch "$base.done-$million"
    fi
    [[ -f $dir/work.iso ]] || cp "$base" "$dir/work.iso"
}
restore() {
    truncate -s "$(stat -c %s "$base")" "$dir/work.iso"
    dd if="$base.head" of="$dir/work.iso" conv=notrunc status=none
}

# TABLE_ONLY=1 prints the table of the last run's $dir/runs again without running anything.
[[ ${TABLE_ONLY:-} == 1 ]] || : > "$dir/runs"
for spec in "${shapes[@]}"; do
    [[ ${TABLE_ONLY:-} == 1 ]] && break
    shape=${spec%%:*}
    n=$runs
    [[ $spec == *:* ]] && n=${spec#*:}
    [[ $shape == append1m || $shape == verify1m ]] && make_tree flat1m || make_tree "$shape"
    src=$dir/$shape
    case $shape in
        collide*)
            tar cf - "$src" | cat > /dev/null   # warm the page cache (inodes and dentries)
            for _ in $(seq "$n"); do
                timed "$shape spindle" "$T $spindle image --print-size -V LABEL $src"
                timed "$shape xorrisofs" "$T xorrisofs -quiet -print-size -r -J -V LABEL $src"
                timed "$shape genisoimage" "$T genisoimage -quiet -print-size -r -J -V LABEL $src"
            done ;;
        long200x500|deep40|flat1m)
            tar cf - "$src" | cat > /dev/null
            for _ in $(seq "$n"); do
                timed "$shape spindle" "$T $spindle image -V LABEL -o - $src | cat > /dev/null"
                timed "$shape xorrisofs" "$T xorrisofs -quiet -r -J -V LABEL -o - $src | cat > /dev/null"
                timed "$shape genisoimage" "$T genisoimage -quiet -r -J -V LABEL $src | cat > /dev/null"
            done ;;
        append1m)
            prepare_append
            for _ in $(seq "$n"); do
                restore
                timed "$shape spindle" "$T $spindle burn $dir/work.iso --tree added=$dir/onefile"
                restore
                timed "$shape xorriso" "$T xorriso -abort_on FAILURE -dev stdio:$dir/work.iso -map $dir/onefile /added -commit"
            done
            restore ;;
        verify1m)
            prepare_append
            tar cf - "$dir/flat1m" 2> /dev/null | cat > /dev/null
            for _ in $(seq "$n"); do
                timed "$shape spindle" "$T $spindle verify $base --tree $dir/flat1m"
                timed "$shape check" "$T $check $base $dir/flat1m"
                timed "$shape sha1sum" "cd $dir && find flat1m -type f -print0 | $T xargs -0 sha1sum"
            done ;;
        *) echo "unknown shape $shape" >&2; exit 2 ;;
    esac
done

# One row per shape: each tool's median wall time and peak RSS, and spindle's ratios.
if printf '%s\n' "${shapes[@]}" | grep -qv '^verify1m'; then
    echo "| shape | files | spindle s | spindle MiB | spindle B/file | xorriso(fs) s | MiB | genisoimage s | MiB | fastest peer / spindle | leanest peer MiB / spindle MiB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
fi
for spec in "${shapes[@]}"; do
    shape=${spec%%:*}
    [[ $shape == verify1m ]] && continue
    stat_of() {   # stat_of TOOL FIELD(2 wall, 3 rss): the median, or "-"
        local v
        v=$(awk -v l="$shape $1" -v f="$2" '$1" "$2 == l && $3 != "timeout" {print $(f+1)}' "$dir/runs" | median)
        echo "${v:--}"
    }
    sw=$(stat_of spindle 2); sr=$(stat_of spindle 3)
    xw=$(stat_of xorrisofs 2); xr=$(stat_of xorrisofs 3)
    if [[ $shape == append1m ]]; then xw=$(stat_of xorriso 2); xr=$(stat_of xorriso 3); fi
    gw=$(stat_of genisoimage 2); gr=$(stat_of genisoimage 3)
    if [[ $shape == append1m ]]; then gw=n/a; gr=n/a; fi   # genisoimage cannot append
    case $shape in
        append1m|flat1m) src=$dir/flat1m ;;
        *) src=$dir/$shape ;;
    esac
    files=$(find "$src" -type f ! -name '.done*' | wc -l)
    per_file=-
    [[ $sr == - ]] || per_file=$(echo "$sr * 1024 / $files" | bc)
    [[ $shape == append1m ]] && files="$files + 1"
    # The faster and the leaner of the peers that finished (a timed-out peer is slower still).
    best_w=$(printf '%s\n' "$xw" "$gw" | { grep -v -- '-\|n/a' || true; } | sort -n | head -1)
    best_r=$(printf '%s\n' "$xr" "$gr" | { grep -v -- '-\|n/a' || true; } | sort -n | head -1)
    sec() { case $1 in -) echo "> $peer_timeout" ;; n/a) echo n/a ;; *) printf '%.3f' "$1" ;; esac; }
    mib() { case $1 in -|n/a) echo "$1" ;; *) printf '%.1f' "$(echo "$1 / 1024" | bc -l)" ;; esac; }
    ratio() { [[ -z $1 || $1 == - || $2 == - ]] && echo - || printf '%.2fx' "$(echo "$1 / $2" | bc -l)"; }
    # Every peer timed out: the timeout over spindle's time is a lower bound of the ratio.
    if [[ -z $best_w && $sw != - && $xw == - ]] && [[ $gw == - || $gw == n/a ]]; then
        best_w=">"
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$shape" "$files" \
        "$(sec "$sw")" "$(mib "$sr")" "$per_file" "$(sec "$xw")" "$(mib "$xr")" "$(sec "$gw")" "$(mib "$gr")" \
        "$(if [[ $best_w == ">" ]]; then printf '> %.0fx' "$(echo "$peer_timeout / $sw" | bc -l)"; else ratio "$best_w" "$sw"; fi)" \
        "$(ratio "$best_r" "$sr")"
done

# The verify shape: spindle's two checks against sha1sum, each the median of its runs.
for spec in "${shapes[@]}"; do
    [[ ${spec%%:*} == verify1m ]] || continue
    med() { awk -v l="verify1m $1" -v f="$2" '$1" "$2 == l && $3 != "timeout" {print $(f+1)}' "$dir/runs" | median; }
    files=$(find "$dir/flat1m" -type f | wc -l)
    echo
    echo "| files | spindle verify --tree s | MiB | Cedar consistency check s | MiB | sha1sum s | MiB | sha1sum / verify | sha1sum / check |"
    echo "|---|---|---|---|---|---|---|---|---|"
    vw=$(med spindle 2); vr=$(med spindle 3); cw=$(med check 2); cr=$(med check 3)
    sw=$(med sha1sum 2); sr=$(med sha1sum 3)
    printf '| %s | %.3f | %.1f | %.3f | %.1f | %.3f | %.1f | %.2fx | %.2fx |\n' "$files" \
        "$vw" "$(echo "$vr / 1024" | bc -l)" "$cw" "$(echo "$cr / 1024" | bc -l)" \
        "$sw" "$(echo "$sr / 1024" | bc -l)" "$(echo "$sw / $vw" | bc -l)" "$(echo "$sw / $cw" | bc -l)"
done
