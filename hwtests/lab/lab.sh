#!/usr/bin/env bash
# lab.sh - spindle's hardware lab: boot Debian's stock Linux kernel under QEMU
# (TCG) with emulated optical drives, run guest steps against /dev/srN and
# /dev/sgN, bring the result files back, and exit with a trustworthy status.
# See README.md beside this file; `lab.sh --help` lists the options.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=lab.sh
BASE_FORMAT=1   # bump when the layout of the cached base archive changes

usage() {
    cat <<'EOF'
Usage: lab.sh [OPTIONS]

Drives (drive N is "cdN": QEMU drive id cdN, device id cdNdev; in the guest
$CDN=/dev/srX, $CDN_SG=/dev/sgY and /dev/lab/cdN, whatever srX the kernel chose):
  --drive BUS[:IMAGE]   add an optical drive; BUS is scsi (scsi-cd on
                        virtio-scsi, one SCSI target per drive) or ahci (ide-cd
                        on an AHCI port). No IMAGE: empty drive, tray closed.
                        BUS iscsi with IMAGE iscsi://HOST:PORT/IQN/LUN: a
                        writable drive served by an iSCSI target, attached with
                        scsi-block on virtio-scsi (its own SCSI target)
  --medium NAME=PATH    a disc image the guest may insert at run time with
                        `lab host change cdN NAME`

Guest payload and steps (steps run in order, each by busybox sh in /lab):
  --put SRC[:DEST]      copy a host file into the guest (default DEST
                        /lab/bin/NAME); a dynamic ELF brings its ldd libraries
  --tool NAME           copy host command NAME (+ libraries) to /usr/bin
  --step FILE           a step: a shell script
  --run CMD             a step: a shell command
  --step-timeout SEC    a step running longer is killed (default 120)

Run:
  --out DIR             where results go (default: a new temporary directory):
                        every file the guest left in /lab/out, console.log,
                        qmp.log and lab-summary.txt
  --timeout SEC         wall-clock limit for the boot (default 300)
  --mem MB              guest memory (default 512)
  --quiet               do not stream the guest console to stdout

Setup:
  --cache DIR           asset cache (default $SPINDLE_LAB_CACHE, else
                        hwtests/.cache beside this directory)
  --install PKG         also make sure Debian package PKG is installed
  --prepare             install packages and warm the cache, then exit
  --refresh-kernel      resolve linux-image-amd64 again even if a kernel is
                        cached
  --no-install          never call apt-get
  --selftest            boot once with sg3-utils steps that check the harness
  -h, --help

Exit status: 0 all steps passed; otherwise the first failing step's status,
or 100 guest steps missing, 101 a drive did not appear,
102 results incomplete or corrupt, 124 wall-clock timeout, 125 no valid
result (kernel panic, QEMU error), 2 usage, 3 host setup failed.
Steps should exit below 100 so their status cannot be taken for these.
Environment: SPINDLE_LAB_CACHE, SPINDLE_LAB_KERNEL_DEB (use this kernel .deb).
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $1"; exit "${2:-3}"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ------------------------------------------------------------------ options --
CACHE=${SPINDLE_LAB_CACHE:-$HERE/../.cache}
OUT="" TIMEOUT=300 MEM=512 STEP_TIMEOUT=120 QUIET=0 PREPARE=0 NOINSTALL=0
REFRESH=0 SELFTEST=0
DRIVES=() MEDIA=() PUTS=() TOOLS=() STEPS=() EXTRA_PKGS=()
need() { [[ $# -ge 2 ]] || die "$1 needs an argument" 2; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --drive) need "$@"; DRIVES+=("$2"); shift 2 ;;
        --medium) need "$@"; MEDIA+=("$2"); shift 2 ;;
        --put) need "$@"; PUTS+=("$2"); shift 2 ;;
        --tool) need "$@"; TOOLS+=("$2"); shift 2 ;;
        --step) need "$@"; [[ -f $2 ]] || die "no such step file: $2" 2
                STEPS+=("file:$(realpath "$2")"); shift 2 ;;
        --run) need "$@"; STEPS+=("cmd:$2"); shift 2 ;;
        --step-timeout) need "$@"; STEP_TIMEOUT=$2; shift 2 ;;
        --out) need "$@"; OUT=$2; shift 2 ;;
        --timeout) need "$@"; TIMEOUT=$2; shift 2 ;;
        --mem) need "$@"; MEM=$2; shift 2 ;;
        --quiet) QUIET=1; shift ;;
        --cache) need "$@"; CACHE=$2; shift 2 ;;
        --install) need "$@"; EXTRA_PKGS+=("$2"); shift 2 ;;
        --prepare) PREPARE=1; shift ;;
        --refresh-kernel) REFRESH=1; shift ;;
        --no-install) NOINSTALL=1; shift ;;
        --selftest) SELFTEST=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option: $1 (see --help)" 2 ;;
    esac
done
for n in "$TIMEOUT" "$MEM" "$STEP_TIMEOUT"; do
    [[ $n =~ ^[0-9]+$ ]] || die "not a number: $n" 2
done
mkdir -p "$CACHE" || die "cannot create cache dir $CACHE"
CACHE=$(realpath "$CACHE")
T_START=$(now)

# ---------------------------------------------------------- host packages --
APT_UPDATED=0
apt_update() {
    [[ $APT_UPDATED == 1 ]] && return 0
    APT_UPDATED=1
    log "apt-get update"
    apt-get update -qq >&2 || log "warning: apt-get update failed"
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
ensure_pkgs() {
    local missing=() p
    for p in "$@"; do installed "$p" || missing+=("$p"); done
    [[ ${#missing[@]} == 0 ]] && return 0
    [[ $NOINSTALL == 1 ]] && die "missing packages (--no-install given): ${missing[*]}"
    [[ $(id -u) == 0 ]] || die "missing packages and not root: apt-get install ${missing[*]}"
    log "installing ${missing[*]}"
    local t0; t0=$(now)
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
        apt_update
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
            die "apt-get install ${missing[*]} failed"
    fi
    log "installed ${missing[*]} in $(since "$t0") s"
}
pkg_of_tool() {
    case $1 in
        sg_*) echo sg3-utils ;;
        xorriso|growisofs|wodim|genisoimage) echo "$1" ;;
    esac
}

T0=$(now)
pkgs=(qemu-system-x86 busybox-static cpio xz-utils "${EXTRA_PKGS[@]}")
[[ $SELFTEST == 1 ]] && pkgs+=(sg3-utils xorriso)
for t in "${TOOLS[@]}"; do p=$(pkg_of_tool "$t"); [[ -n $p ]] && pkgs+=("$p"); done
# QEMU's iSCSI block driver is in its own package.
for d in "${DRIVES[@]}"; do [[ $d == iscsi:* ]] && pkgs+=(qemu-block-extra) && break; done
ensure_pkgs "${pkgs[@]}"
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] || die "$BUSYBOX is missing"
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is dynamically linked; busybox-static is needed"; fi
QEMU_BIN=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found"
T_PKGS=$(since "$T0")

# ------------------------------------------------------------------ kernel --
# Debian's stock kernel, never installed: only vmlinuz and the modules the
# lab needs are unpacked into the cache.
WANT_MODULES=(sr_mod sg virtio_pci virtio_scsi ahci isofs)

kernel_pkg() {   # the linux-image-6.1.0-N-amd64 that linux-image-amd64 wants
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}

module_deps() { tr '\0' '\n' < "$1" | sed -n 's/^depends=//p' | head -n1 | tr ',' ' '; }

# Pull the ELF vmlinux out of the bzImage: QEMU boots it through its PVH
# entry point, which skips the in-guest decompression (~4 s under TCG).
extract_vmlinux() {   # extract_vmlinux BZIMAGE OUT; true when OUT was made
    local bz=$1 out=$2 spec tool magic off
    for spec in 'xz \xfd7zXZ\x00' 'zstd \x28\xb5\x2f\xfd' 'gzip \x1f\x8b\x08'; do
        tool=${spec%% *}; magic=${spec#* }
        command -v "$tool" >/dev/null || continue
        for off in $(LC_ALL=C grep -obUaP "$magic" "$bz" 2>/dev/null | head -n 4 | cut -d: -f1); do
            tail -c +"$((off + 1))" "$bz" | "$tool" -dc 2>/dev/null > "$out.part" || true
            if [[ $(head -c 4 "$out.part" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]; then
                if ! command -v readelf >/dev/null ||
                   readelf -n "$out.part" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
                    mv "$out.part" "$out"
                    return 0
                fi
            fi
        done
    done
    rm -f "$out.part"
    return 1
}

KDIR=""
setup_kernel() {
    local deb="" pkg ver name
    if [[ -n ${SPINDLE_LAB_KERNEL_DEB:-} ]]; then
        deb=$(realpath "$SPINDLE_LAB_KERNEL_DEB")
        [[ -f $deb ]] || die "SPINDLE_LAB_KERNEL_DEB: no such file: $deb"
        name=$(basename "$deb" .deb)
    else
        # Warm path: the newest cached kernel, without asking apt (~1.5 s).
        if [[ $REFRESH == 0 ]]; then
            KDIR=$(ls -d "$CACHE"/kernel/*/.complete 2>/dev/null | sort -V | tail -n1 || true)
            if [[ -n $KDIR ]]; then KDIR=$(dirname "$KDIR"); return 0; fi
        fi
        [[ $NOINSTALL == 1 ]] && die "no kernel cached (--no-install given)"
        pkg=$(kernel_pkg)
        if [[ -z $pkg ]]; then apt_update; pkg=$(kernel_pkg); fi
        [[ -n $pkg ]] || die "cannot resolve linux-image-amd64 with apt-cache depends"
        ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
        name=${pkg}_${ver:-unknown}
    fi
    KDIR=$CACHE/kernel/$name
    [[ -f $KDIR/.complete ]] && return 0

    local t0 x dl
    t0=$(now)
    x=$CACHE/kernel/.unpack; dl=$CACHE/kernel/.download
    rm -rf "$x" "$dl" "$KDIR"
    mkdir -p "$x" "$dl" "$KDIR/modules"
    if [[ -z $deb ]]; then
        log "downloading $pkg $ver"
        # -o APT::Sandbox::User=root: the cache may not be readable by _apt.
        if ! (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
            apt_update
            (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
                die "apt-get download $pkg failed"
        fi
        deb=$(ls "$dl"/*.deb | head -n1)
    fi
    log "unpacking vmlinuz and modules from $(basename "$deb")"
    # Only the directories the wanted modules and their dependencies live in
    # (the whole package unpacks to ~400 MB).
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards \
        './boot/vmlinuz-*' \
        './lib/modules/*/kernel/drivers/scsi/*' './lib/modules/*/kernel/drivers/cdrom/*' \
        './lib/modules/*/kernel/drivers/ata/*' './lib/modules/*/kernel/drivers/virtio/*' \
        './lib/modules/*/kernel/fs/isofs/*' './lib/modules/*/kernel/lib/*' \
        './lib/modules/*/modules.builtin' ||
        die "could not unpack $deb"
    cp "$x"/boot/vmlinuz-* "$KDIR/vmlinuz" || die "no vmlinuz in $deb"
    ls "$x/lib/modules" | head -n1 > "$KDIR/release"

    # The package has no modules.dep (depmod runs at install time), so the
    # load order comes from each module's "depends=" modinfo field.
    declare -A ko=()
    local f m
    while IFS= read -r f; do
        m=${f##*/}; m=${m%%.ko*}; m=${m//-/_}
        ko[$m]=$f
    done < <(find "$x/lib/modules" -name '*.ko*')
    local order=() visited=" "
    visit() {
        local m=${1//-/_} src dst d
        [[ $visited == *" $m "* ]] && return 0
        visited+="$m "
        src=${ko[$m]:-}
        if [[ -z $src ]]; then
            grep -q "/$m.ko" "$x"/lib/modules/*/modules.builtin 2>/dev/null && return 0
            die "module $m is neither in the package nor built in"
        fi
        dst=$KDIR/modules/$m.ko
        case $src in
            *.ko) cp "$src" "$dst" ;;
            *.ko.xz) xz -dc "$src" > "$dst" ;;
            *.ko.zst) zstd -dcq "$src" > "$dst" ;;
            *.ko.gz) gzip -dc "$src" > "$dst" ;;
            *) die "unknown module format: $src" ;;
        esac
        for d in $(module_deps "$dst"); do visit "$d"; done
        order+=("$m")
    }
    for m in "${WANT_MODULES[@]}"; do visit "$m"; done
    printf '%s\n' "${order[@]}" > "$KDIR/modules/order"
    if extract_vmlinux "$KDIR/vmlinuz" "$KDIR/vmlinux"; then
        log "extracted the PVH vmlinux"
    else
        log "warning: no PVH vmlinux in the bzImage; booting vmlinuz (about 4 s slower)"
    fi
    rm -rf "$x" "$dl"
    touch "$KDIR/.complete"
    log "kernel $(cat "$KDIR/release") ready in $(since "$t0") s; modules: ${order[*]}"
}
T0=$(now)
# Two runs sharing a cache must not build the same assets at once.
exec 8> "$CACHE/.lock"
flock 8
setup_kernel
KREL=$(cat "$KDIR/release")
KIMAGE=$KDIR/vmlinuz
[[ -f $KDIR/vmlinux ]] && KIMAGE=$KDIR/vmlinux

# ---------------------------------------------------- base initramfs ------
# Cached: busybox, the modules, /init and the guest helper. Kept
# uncompressed: under TCG, decompressing costs more than loading.
copy_with_libs() {   # copy_with_libs SRC DEST TREE (DEST is a path inside TREE)
    local src=$1 dst=$2 tree=$3 lib
    mkdir -p "$tree$(dirname "$dst")"
    cp -L "$src" "$tree$dst"
    chmod a+rx "$tree$dst"
    ldd "$src" >/dev/null 2>&1 || return 0
    while IFS= read -r lib; do
        [[ -n $lib && -e $lib && ! -e $tree$lib ]] || continue
        mkdir -p "$tree$(dirname "$lib")"
        cp -L "$lib" "$tree$lib"
    done < <(ldd "$src" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
}
make_cpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0); }

base_key=$( { echo "$BASE_FORMAT $KREL"; cat "$HERE/guest/init" "$HERE/guest/lab" "$BUSYBOX" \
              "$KDIR/modules/order"; } | sha256sum | cut -c1-16)
BASE=$CACHE/base-$base_key.cpio
if [[ ! -f $BASE ]]; then
    log "building the base initramfs"
    for f in "$HERE/guest/init" "$HERE/guest/lab"; do
        "$BUSYBOX" sh -n "$f" || die "syntax error in $f"
    done
    t=$CACHE/.base-tree
    rm -rf "$t"
    mkdir -p "$t"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,mnt,root,etc,lab/bin,lab/steps,lib/modules/lab}
    cp "$BUSYBOX" "$t/bin/busybox"
    for a in $("$BUSYBOX" --list); do
        # "busybox" is in its own list: linking it would loop /bin/busybox.
        [[ $a == busybox || -e $t/bin/$a ]] || ln -s busybox "$t/bin/$a"
    done
    install -m 755 "$HERE/guest/init" "$t/init"
    install -m 755 "$HERE/guest/lab" "$t/bin/lab"
    cp "$KDIR"/modules/*.ko "$KDIR/modules/order" "$t/lib/modules/lab/"
    echo 'root:x:0:0:root:/root:/bin/sh' > "$t/etc/passwd"
    echo 'root:x:0:' > "$t/etc/group"
    make_cpio "$t" > "$BASE.part" && mv "$BASE.part" "$BASE"
    rm -rf "$t"
    find "$CACHE" -maxdepth 1 -name 'base-*.cpio' ! -name "${BASE##*/}" -delete
fi
flock -u 8
exec 8>&-
T_KERNEL=$(since "$T0")

if [[ $PREPARE == 1 ]]; then
    log "ready: packages installed, kernel $KREL and base initramfs cached in $CACHE" \
        "(packages $T_PKGS s, kernel+initramfs $T_KERNEL s)"
    exit 0
fi

# ---------------------------------------------------------------- selftest --
if [[ $SELFTEST == 1 ]]; then
    st=$(mktemp -d "${TMPDIR:-/tmp}/spindle-lab-selftest.XXXXXX")
    mkdir -p "$st/tree/docs"
    echo "spindle lab self test" > "$st/tree/docs/hello.txt"
    seq 1 30000 > "$st/tree/numbers.txt"
    xorriso -as mkisofs -quiet -r -J -V LABSELFTEST -o "$st/self.iso" "$st/tree" 2>/dev/null ||
        die "xorriso could not make the self-test ISO"
    DRIVES=("scsi:$st/self.iso" "ahci:$st/self.iso" "scsi:" "${DRIVES[@]}")
    MEDIA+=("self=$st/self.iso")
    TOOLS+=(sg_inq sg_turs sg_readcap sg_prevent sg_start sg_raw)
    blocks=$(( $(stat -c %s "$st/self.iso") / 2048 ))
    cat > "$st/10-identity.sh" <<'EOF'
set -e
sg_inq "$CD0" | grep -q 'Product identification: QEMU CD-ROM'
sg_inq "$CD1" | grep -q 'Product identification: QEMU DVD-ROM'
grep -q '^cd1	ahci:0	' /lab/out/drives.tsv
rc=0; sg_turs "$CD2" 2>/dev/null || rc=$?
[ $rc -eq 2 ]   # sg3-utils: 2 = NOT READY
EOF
    cat > "$st/20-read.sh" <<EOF
set -e
sg_readcap "\$CD0" | grep -q 'Last LBA=$((blocks - 1)) '
dd if="\$CD1" bs=2048 skip=16 count=1 2>/dev/null | grep -q LABSELFTEST
mkdir -p /mnt/cd && mount -t iso9660 -o ro "\$CD0" /mnt/cd
cp /mnt/cd/docs/hello.txt /lab/out/hello.txt
umount /mnt/cd
EOF
    cat > "$st/30-media.sh" <<'EOF'
set -e
lab host tray-open cd0
rc=0; sg_turs "$CD0" 2>/dev/null || rc=$?
rc=0; sg_turs "$CD0" 2>/dev/null || rc=$?
[ $rc -eq 2 ]
lab host tray-close cd0
sleep 0.2; sg_turs "$CD0" || sg_turs "$CD0"
lab host change cd2 self
sleep 0.2; sg_turs "$CD2" 2>/dev/null || sg_turs "$CD2" 2>/dev/null || sg_turs "$CD2"
dd if="$CD2" bs=2048 skip=16 count=1 2>/dev/null | grep -q LABSELFTEST
lab host eject cd2 force
rc=0; sg_turs "$CD2" 2>/dev/null || rc=$?
rc=0; sg_turs "$CD2" 2>/dev/null || rc=$?
[ $rc -eq 2 ]
if lab host change cd0 no-such-medium; then exit 1; fi
EOF
    # The lock is held through an open fd: the kernel's last close unlocks.
    cat > "$st/40-lock.sh" <<'EOF'
set -e
exec 3<"$CD0"
sg_prevent --prevent=1 "$CD0"
if sg_start --eject "$CD0" 2> /tmp/e; then echo "eject worked while locked"; exit 1; fi
cat /tmp/e; grep -qi 'illegal request' /tmp/e
if lab host eject cd0; then echo "host eject worked while locked"; exit 1; fi
sg_prevent --allow "$CD0"
sg_start --eject "$CD0"
sg_start --load "$CD0"
exec 3<&-
lab run selftest-record sh -c 'echo out; echo err >&2; exit 7'
EOF
    cat > "$st/50-fake.sh" <<'EOF'
# A fake result marker on the results port must not be taken for the result.
echo "@@RESULT 0 0 0000" > /dev/ttyS2
EOF
    STEPS=("file:$st/10-identity.sh" "file:$st/20-read.sh" "file:$st/30-media.sh"
           "file:$st/40-lock.sh" "file:$st/50-fake.sh" "${STEPS[@]}")
    trap 'rm -rf "$st"' EXIT
fi

[[ ${#STEPS[@]} -gt 0 ]] || die "no steps given (--step or --run)" 2
[[ ${#DRIVES[@]} -gt 0 ]] || DRIVES=("scsi:")

# ---------------------------------------------------- per-run archive -----
T0=$(now)
if [[ -z $OUT ]]; then OUT=$(mktemp -d "${TMPDIR:-/tmp}/spindle-lab.XXXXXX"); fi
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
find "$OUT" -mindepth 1 -delete
RUN=$(mktemp -d "${TMPDIR:-/tmp}/spindle-lab-run.XXXXXX")
QPID="" BPID="" TPID=""
cleanup() {
    local p
    for p in $TPID $BPID $QPID; do kill "$p" 2>/dev/null || true; done
    rm -rf "$RUN"
}
trap 'cleanup; [[ -n ${st:-} ]] && rm -rf "$st"' EXIT

P=$RUN/payload
mkdir -p "$P/lab/bin" "$P/lab/steps" "$P/usr/bin"
for tool in "${TOOLS[@]}"; do
    src=$(command -v "$tool") || die "--tool: $tool not found on the host" 2
    copy_with_libs "$src" "/usr/bin/$tool" "$P"
done
for spec in "${PUTS[@]}"; do
    src=${spec%%:*}; dst=/lab/bin/$(basename "$src")
    [[ $spec == *:* ]] && dst=${spec#*:}
    [[ -f $src ]] || die "--put: no such file: $src" 2
    [[ $dst == /* ]] || die "--put: DEST must be absolute: $dst" 2
    copy_with_libs "$src" "$dst" "$P"
done
i=0
for s in "${STEPS[@]}"; do
    i=$((i + 1))
    case $s in
        file:*) f=${s#file:}; name=$(basename "$f"); name=${name%.sh}
                cp "$f" "$P/lab/steps/$(printf '%02d' $i)-${name//[^A-Za-z0-9_-]/_}" ;;
        cmd:*) printf '%s\n' "${s#cmd:}" > "$P/lab/steps/$(printf '%02d' $i)-run" ;;
    esac
done
NSTEPS=$i

# Drives: each scsi-cd gets its own SCSI target, each ide-cd its own AHCI port,
# so the guest can tell them apart whatever srN order the kernel picks.
QDRIVES=() KEYS=() nscsi=0 nahci=0 n=0
declare -A MEDIUM_PATH=()
for spec in "${DRIVES[@]}"; do
    bus=${spec%%:*} img=""
    [[ $spec == *:* ]] && img=${spec#*:}
    opts="if=none,id=cd$n,media=cdrom,readonly=on"
    if [[ $bus == iscsi ]]; then
        # A writable drive behind an iSCSI target (tgt, or hwtests' mock-target): QEMU's
        # libiscsi initiator attaches it and scsi-block passes every command through.
        [[ $img == iscsi://* && $img != *,* ]] || die "--drive iscsi: wants iscsi://HOST:PORT/IQN/LUN: $img" 2
        opts="if=none,id=cd$n,format=raw,file=$img"
    elif [[ -n $img ]]; then
        [[ -f $img ]] || die "--drive: no such image: $img" 2
        img=$(realpath "$img")
        opts+=",format=raw,file=${img//,/,,}"
    fi
    QDRIVES+=(-drive "$opts")
    case $bus in
        scsi)
            [[ $nscsi -gt 0 ]] || QDRIVES+=(-device virtio-scsi-pci,id=vscsi)
            QDRIVES+=(-device "scsi-cd,bus=vscsi.0,drive=cd$n,id=cd${n}dev,scsi-id=$nscsi,lun=0")
            KEYS+=("scsi:$nscsi"); nscsi=$((nscsi + 1)) ;;
        iscsi)
            [[ $nscsi -gt 0 ]] || QDRIVES+=(-device virtio-scsi-pci,id=vscsi)
            QDRIVES+=(-device "scsi-block,bus=vscsi.0,drive=cd$n,id=cd${n}dev,scsi-id=$nscsi,lun=0")
            KEYS+=("scsi:$nscsi"); nscsi=$((nscsi + 1)) ;;
        ahci)
            [[ $nahci -lt 6 ]] || die "at most 6 ahci drives" 2
            [[ $nahci -gt 0 ]] || QDRIVES+=(-device ahci,id=ahci)
            QDRIVES+=(-device "ide-cd,bus=ahci.$nahci,drive=cd$n,id=cd${n}dev")
            KEYS+=("ahci:$nahci"); nahci=$((nahci + 1)) ;;
        *) die "--drive: unknown bus '$bus' (scsi, ahci or iscsi)" 2 ;;
    esac
    n=$((n + 1))
done
NDRIVES=$n
for spec in "${MEDIA[@]}"; do
    name=${spec%%=*} path=${spec#*=}
    [[ $spec == *=* && $name =~ ^[A-Za-z0-9._-]+$ ]] || die "--medium wants NAME=PATH: $spec" 2
    [[ -f $path ]] || die "--medium: no such image: $path" 2
    MEDIUM_PATH[$name]=$(realpath "$path")
done

RUNID=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
cat > "$P/lab/run.conf" <<EOF
LAB_RUNID=$RUNID
LAB_TOKEN=$TOKEN
LAB_DRIVES="${KEYS[*]}"
LAB_NSTEPS=$NSTEPS
LAB_STEP_TIMEOUT=$STEP_TIMEOUT
EOF
make_cpio "$P" > "$RUN/payload.cpio"
# The kernel takes a second archive only if it starts on a 4-byte boundary;
# cpio pads to 512 anyway, so this is a guard.
cp "$BASE" "$RUN/initrd"
head -c $(( (4 - $(stat -c %s "$BASE") % 4) % 4 )) /dev/zero >> "$RUN/initrd"
cat "$RUN/payload.cpio" >> "$RUN/initrd"
T_PAYLOAD=$(since "$T0")

# ------------------------------------------------------------------- boot --
mkfifo "$RUN/qmp.in" "$RUN/qmp.out" "$RUN/ctl.in" "$RUN/ctl.out"
CONSOLE=$OUT/console.log QMPLOG=$OUT/qmp.log RESULTS=$RUN/results.raw
: > "$CONSOLE"; : > "$QMPLOG"
QEMU=("$QEMU_BIN" -accel tcg -cpu max -m "$MEM" -smp 1
      -nodefaults -no-user-config -display none -no-reboot -S
      -kernel "$KIMAGE" -initrd "$RUN/initrd"
      -append "console=ttyS0 quiet panic=-1 spindle.run=$RUNID"
      -chardev "file,id=con,path=$CONSOLE" -serial chardev:con
      -chardev "pipe,id=ctl,path=$RUN/ctl" -serial chardev:ctl
      -chardev "file,id=res,path=$RESULTS" -serial chardev:res
      -chardev "pipe,id=qmp,path=$RUN/qmp" -mon chardev=qmp,mode=control
      "${QDRIVES[@]}")
printf '# %q' "${QEMU[0]}" >> "$QMPLOG"; printf ' %q' "${QEMU[@]:1}" >> "$QMPLOG"; echo >> "$QMPLOG"

json_str() { local s=$1; s=${s//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

# The broker owns the QMP monitor: it resumes the paused guest, then serves
# requests the guest writes to its ttyS1 ("ID VERB ARGS") with one reply line
# each ("ID ok|err JSON"). Everything it sees goes to qmp.log.
broker() {
    exec 3<>"$RUN/qmp.in" 4<>"$RUN/qmp.out" 5<>"$RUN/ctl.in" 6<>"$RUN/ctl.out"
    local line
    qmp() {   # qmp JSON: send, print the matching return/error line
        printf '%s\n' "$1" >&3
        printf '>> %s\n' "$1" >> "$QMPLOG"
        while IFS= read -r -t 60 line <&4; do
            line=${line%$'\r'}
            printf '<< %s\n' "$line" >> "$QMPLOG"
            case $line in '{"return"'*|'{"error"'*) printf '%s\n' "$line"; return 0 ;; esac
        done
        printf '{"error": {"desc": "no reply from the QEMU monitor"}}\n'
    }
    IFS= read -r -t 60 line <&4 || { log "no QMP greeting"; return 1; }
    printf '<< %s\n' "$line" >> "$QMPLOG"
    qmp '{"execute":"qmp_capabilities"}' > /dev/null
    qmp '{"execute":"cont"}' > /dev/null
    local id verb dev args json reply status n
    while IFS= read -r line <&6; do
        line=${line%$'\r'}
        [[ -n $line ]] || continue
        printf '## guest: %s\n' "$line" >> "$QMPLOG"
        read -r id verb args <<< "$line"
        json="" reply="" status=ok
        dev=${args%% *}
        case $verb in
            tray-open|tray-close|eject|change)
                if [[ ! $dev =~ ^cd([0-9]+)$ ]] || (( BASH_REMATCH[1] >= NDRIVES )); then
                    reply="{\"error\": {\"desc\": $(json_str "no drive '$dev'")}}"
                fi ;;
        esac
        if [[ -z $reply ]]; then
            case $verb in
                tray-open)
                    f=false; [[ $args == *" force" ]] && f=true
                    json="{\"execute\":\"blockdev-open-tray\",\"arguments\":{\"id\":\"${dev}dev\",\"force\":$f}}" ;;
                tray-close)
                    json="{\"execute\":\"blockdev-close-tray\",\"arguments\":{\"id\":\"${dev}dev\"}}" ;;
                eject)
                    f=false; [[ $args == *" force" ]] && f=true
                    json="{\"execute\":\"eject\",\"arguments\":{\"id\":\"${dev}dev\",\"force\":$f}}" ;;
                change)
                    n=${args#* }
                    if [[ $args != *" "* || -z ${MEDIUM_PATH[$n]:-} ]]; then
                        reply="{\"error\": {\"desc\": $(json_str "unknown medium '${n}' (known: ${!MEDIUM_PATH[*]})")}}"
                    else
                        json="{\"execute\":\"blockdev-change-medium\",\"arguments\":{\"id\":\"${dev}dev\",\"filename\":$(json_str "${MEDIUM_PATH[$n]}"),\"format\":\"raw\",\"read-only-mode\":\"read-only\"}}"
                    fi ;;
                qmp) json=$args ;;
                hmp) json="{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":$(json_str "$args")}}" ;;
                *) reply="{\"error\": {\"desc\": $(json_str "unknown request '$verb'")}}" ;;
            esac
        fi
        [[ -n $json ]] && reply=$(qmp "$json")
        case $reply in
            '{"error"'*|*'"return": "Error'*|*'"return": "\r\nError'*) status=err ;;
        esac
        printf '%s %s %s\n' "$id" "$status" "$reply" >&5
    done
}

T0=$(now)
timeout -k 5 "$TIMEOUT" "${QEMU[@]}" > "$RUN/qemu.stderr" 2>&1 &
QPID=$!
broker & BPID=$!
if [[ $QUIET == 0 ]]; then
    tail -n +1 -F -s 0.2 --pid="$QPID" "$CONSOLE" 2>/dev/null | tr -d '\r' &
    TPID=$!
fi
qrc=0
wait "$QPID" || qrc=$?
QPID=""
T_BOOT=$(since "$T0")
kill "$BPID" 2>/dev/null || true
wait "$BPID" 2>/dev/null || true
BPID=""
if [[ -n $TPID ]]; then wait "$TPID" 2>/dev/null || true; TPID=""; fi

# ---------------------------------------------------------------- results --
summary() { printf '%s\n' "$*" | tee -a "$OUT/lab-summary.txt" >&2; }
[[ -s $RUN/qemu.stderr ]] && sed 's/^/qemu: /' "$RUN/qemu.stderr" >&2
con=$(tr -d '\r' < "$CONSOLE")
guest_time() { sed -n "s/^@@LAB $1.*uptime=\([0-9.]*\).*/\1/p" <<< "$con" | tail -n1; }
timing="host setup ${T_PKGS}+${T_KERNEL} s, payload ${T_PAYLOAD} s, qemu ${T_BOOT} s"
timing+=" (guest uptime: init $(guest_time init), drives ready $(guest_time ready), steps done $(guest_time 'steps done'))"

# Decode the archive. The result line must carry this run's token and come after
# the archive; the archive must match its announced size and SHA-256 and hold
# only plain files and directories with tame names.
rc=""
results_rc=0
if [[ -f $RESULTS ]]; then
    tr -d '\r' < "$RESULTS" > "$RUN/results.txt"
    awk -v b64="$RUN/results.b64" -v tok="$TOKEN" '
        /^@@ARCHIVE / { if (n++) print "ERR second archive"; print "ARCHIVE " $2 " " $3 " " $4; on = 1; next }
        /^@@END$/ { on = 0; next }
        /^@@RESULT / { if ($4 != tok) { print "FAKE " $0; next }
                       if (on) print "ERR result inside the archive"
                       print "RESULT " $2 " " $3; next }
        on { print > b64 }
    ' "$RUN/results.txt" > "$RUN/manifest"
    size="" sum="" nfiles=""
    while read -r kind a b c d; do
        case $kind in
            ARCHIVE) size=$a sum=$b nfiles=$c ;;
            RESULT)
                rc=$a
                if [[ $b != "$nfiles" ]]; then
                    summary "FAIL: the result line says $b files, the archive header $nfiles"; results_rc=102
                fi ;;
            FAKE) summary "note: ignored a result line without this run's token: $a $b $c $d" ;;
            ERR) summary "FAIL: results framing: $a $b $c $d"; results_rc=102 ;;
        esac
    done < "$RUN/manifest"
    if [[ -n $rc && -n $size ]]; then
        base64 -d < "$RUN/results.b64" > "$RUN/results.tgz" 2>/dev/null || true
        if [[ $(stat -c %s "$RUN/results.tgz") != "$size" ||
              $(sha256sum < "$RUN/results.tgz" | cut -d' ' -f1) != "$sum" ]]; then
            summary "FAIL: the results archive arrived damaged (size or SHA-256 mismatch)"
            results_rc=102
        elif ! tar -tzvf "$RUN/results.tgz" > "$RUN/listing" 2>&1; then
            summary "FAIL: the results archive does not list: $(head -c 300 "$RUN/listing")"
            results_rc=102
        elif bad=$( { awk '$1 !~ /^[-d]/' "$RUN/listing"
                      tar -tzf "$RUN/results.tgz" | grep -vE '^[A-Za-z0-9._/-]+$' || true
                      tar -tzf "$RUN/results.tgz" | grep -E '(^|/)\.\.(/|$)' || true; } ) &&
             [[ -n $bad ]]; then
            summary "FAIL: the results archive holds links, devices or odd names (only plain files and [A-Za-z0-9._/-] names are taken): $bad"
            results_rc=102
        elif [[ $(grep -c '^-' "$RUN/listing") != "$nfiles" ]]; then
            summary "FAIL: the results archive holds $(grep -c '^-' "$RUN/listing") files, $nfiles announced"
            results_rc=102
        else
            tar -xzf "$RUN/results.tgz" -C "$OUT" --no-same-owner --no-same-permissions ||
                { summary "FAIL: could not unpack the results archive"; results_rc=102; }
        fi
    elif [[ -n $rc ]]; then
        summary "FAIL: a result line but no results archive"; results_rc=102
    fi
fi

final=""
if [[ $qrc == 124 || $qrc == 137 ]]; then
    summary "FAIL: wall-clock timeout after $TIMEOUT s; console: $CONSOLE"
    final=124
elif grep -q 'Kernel panic' <<< "$con"; then
    summary "FAIL: kernel panic: $(grep -m1 'Kernel panic' <<< "$con")"
    final=125
elif grep -qE 'Initramfs unpacking failed|invalid magic at start of compressed' <<< "$con"; then
    summary "FAIL: the guest kernel could not unpack the initramfs"
    final=125
elif [[ -z $rc ]]; then
    summary "FAIL: no valid result from the guest (qemu exit status $qrc); console: $CONSOLE"
    final=125
elif [[ $results_rc != 0 ]]; then
    final=$results_rc
else
    final=$rc
fi
while IFS= read -r l; do summary "guest: ${l#@@LAB }"; done < <(grep '^@@LAB ERROR' <<< "$con" || true)
summary "result: $final ($([[ $final == 0 ]] && echo PASS || echo FAIL)); $NSTEPS steps, $NDRIVES drives; $timing; total $(since "$T_START") s; results in $OUT"
exit "$final"
