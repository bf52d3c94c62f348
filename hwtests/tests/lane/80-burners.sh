# Real burners (growisofs, xorriso, wodim) write mock drives through the kernel. Each job is
# one mock drive behind hwtests' mock-target (iSCSI, scsi-block); /lab/data/burn-jobs lists
# "cdN NAME BURNER MEDIUM" per line (NAME prefixes the result files). Every session adds a directory sK/ with a readme naming the
# session and a 300 KiB file; qemu_lane.rs reads DIR/media.img on the host and looks for
# every session's tree, and compares each drive's transcript with its golden file.
[ -f /lab/data/burn-jobs ] || exit 0
export MKISOFS=genisoimage
# genisoimage -M reads the previous session through /dev/fd/N (growisofs hands it the fd).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for s in s0 s1 s2 s3; do
    mkdir -p /tmp/burn/$s
    echo "session $s" > /tmp/burn/$s/readme.txt
    # The same bytes every run, so image sizes (and transcripts) do not vary.
    i=0; while [ $i -lt 300 ]; do printf '%1023d\n' $i; i=$((i + 1)); done > /tmp/burn/$s/data.bin
done

up() { cut -d' ' -f1 /proc/uptime; }
run() {   # run NAME CMD...: lab run, with the guest uptime before and after in burn-times.txt
    t=$(up); lab run "$@"; echo "$1 $t $(up)" >> /lab/out/burn-times.txt
}

growisofs_job() {   # growisofs_job NAME DEV MEDIUM: -Z s1, then -M s2 and -M s3
    # growisofs formats a blank BD-R with spare areas first (FORMAT UNIT type 32h), which the
    # mock does not model (README); spare:none writes it unformatted, as SRM.
    force=""
    [ "$3" = bd-r ] && force=-use-the-force-luke=spare:none
    run $1-1 growisofs -Z "$2" $force -R -J -V S1 -graft-points s1/=/tmp/burn/s1
    run $1-2 growisofs -M "$2" -R -J -V S2 -graft-points s2/=/tmp/burn/s2
    run $1-3 growisofs -M "$2" -R -J -V S3 -graft-points s3/=/tmp/burn/s3
}

xorriso_job() {   # xorriso_job NAME DEV MEDIUM: a new disc, then two appends in one run
    case $3 in
        cd-rw|dvd-rw)
            # Something to blank first, then -blank as_needed blanks it.
            run $1-0 xorriso -outdev "$2" -write_type tao -volid S0 -map /tmp/burn/s0 /s0 -commit
            run $1-blank xorriso -outdev "$2" -blank as_needed ;;
    esac
    case $3 in
        dvd+rw|bd-re) first="-format as_needed" ;;   # the drive holds them unformatted
        # On blank CD media libburn picks SAO, which the mock does not model (README).
        cd-*) first="-blank as_needed -write_type tao" ;;
        *) first="-blank as_needed" ;;
    esac
    run $1-1 xorriso -outdev "$2" $first -volid S1 -map /tmp/burn/s1 /s1 -commit
    run $1-23 xorriso -dev "$2" -volid S2 -map /tmp/burn/s2 /s2 -commit \
        -volid S3 -map /tmp/burn/s3 /s3 -commit
}

wodim_job() {   # wodim_job NAME DEV MODE MEDIUM: three sessions written with -MODE -multi
    # -eject, then closing the tray, makes the kernel see a media change and read the new
    # capacity: genisoimage -M reads the previous session through /dev/srN.
    if [ "$4" = cd-rw ]; then
        genisoimage -quiet -R -J -V S0 -o /tmp/$1-0.iso -graft-points s0/=/tmp/burn/s0
        run $1-0 wodim dev="$2" -$3 -multi -eject -data /tmp/$1-0.iso
        eject -t "$2"
        run $1-blank wodim dev="$2" blank=fast
    fi
    genisoimage -quiet -R -J -V S1 -o /tmp/$1-1.iso -graft-points s1/=/tmp/burn/s1
    run $1-1 wodim dev="$2" -$3 -multi -eject -data /tmp/$1-1.iso
    eject -t "$2"
    for n in 2 3; do
        run $1-msinfo$n wodim dev="$2" -msinfo
        ms=$(cat /lab/out/$1-msinfo$n.out)
        genisoimage -quiet -R -J -V S$n -C "$ms" -M "$2" -o /tmp/$1-$n.iso \
            -graft-points s$n/=/tmp/burn/s$n 2> /lab/out/$1-mkisofs$n.err
        run $1-$n wodim dev="$2" -$3 -multi -eject -data /tmp/$1-$n.iso
        eject -t "$2"
        rm -f /tmp/$1-$n.iso
    done
}

while read -r cd name burner medium; do
    dev=$(lab dev "$cd")
    case $burner in
        growisofs) growisofs_job "$name" "$dev" "$medium" ;;
        xorriso) xorriso_job "$name" "$dev" "$medium" ;;
        wodim-tao) wodim_job "$name" "$dev" tao "$medium" ;;
        wodim-sao) wodim_job "$name" "$dev" sao "$medium" ;;
        *) echo "unknown burner $burner" >&2; exit 1 ;;
    esac
done < /lab/data/burn-jobs
exit 0
