# spindle refresh (the media reload Cedar does after writing): unlock, tray out, eject
# delay, tray in, wait until ready, unlock, refresh delay. fd 3 holds the drive open, so
# the kernel's own door lock and spindle's lock are both in force when it starts. Then
# --no-eject, which keeps the tray still.
for n in 0 2; do
    dev=$(lab dev cd$n)
    exec 3<"$dev"
    lab run refresh-lock-cd$n spindle lock "$dev"
    lab run refresh-cd$n sh -c 't0=$(date +%s); spindle refresh --eject-delay 1 --refresh-delay 1 "$0"; rc=$?; echo "elapsed $(( $(date +%s) - t0 ))"; exit $rc' "$dev"
    lab run refresh-probe-cd$n mmc-probe --json "$dev"
    exec 3<&-
    lab run refresh-noeject-cd$n spindle refresh --no-eject "$dev"
    lab run refresh-noeject-probe-cd$n mmc-probe --json "$dev"
done
exit 0
