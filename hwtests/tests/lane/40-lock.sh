# Eject refused while locked. Linux sends ALLOW MEDIUM REMOVAL on the last close
# of /dev/srN, so fd 3 keeps the drive open for the whole sequence. That open
# (blocking, with a medium) makes the kernel lock the door itself, so the lock
# is cleared first and what follows is spindle's own doing.
set -e
for n in 0 2; do
    dev=$(lab dev cd$n)
    exec 3<"$dev"
    lab run lock-unlock0-cd$n spindle unlock "$dev"
    lab run lock-probe0-cd$n mmc-probe --json "$dev"
    lab run lock-lock-cd$n spindle lock "$dev"
    lab run lock-probe1-cd$n mmc-probe --json "$dev"
    lab run lock-eject-refused-cd$n spindle eject --no-unlock "$dev"
    lab run lock-host-eject-cd$n lab host eject cd$n
    lab run lock-probe2-cd$n mmc-probe --json "$dev"
    lab run lock-unlock-cd$n spindle unlock "$dev"
    lab run lock-probe3-cd$n mmc-probe --json "$dev"
    lab run lock-eject-cd$n spindle eject --no-unlock "$dev"
    lab run lock-probe4-cd$n mmc-probe --json "$dev"
    lab run lock-load-cd$n spindle load "$dev"
    exec 3<&-
done
