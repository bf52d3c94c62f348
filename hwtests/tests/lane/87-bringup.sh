# Bring-up on tgt's third DVD+R (blank): the write test refuses without --yes-write; then
# one run records the drive (--report, on the blank disc) and write-tests it, the result
# going into the same report; then a second write test refuses the written disc.
[ -f /lab/data/tgt-drives ] || exit 0
read -r _ _ wt_cd < /lab/data/tgt-drives
[ -n "$wt_cd" ] || exit 0
dev=$(lab dev "$wt_cd")
lab run bringup-refuse-no-yes mmc-probe --write-test "$dev"
lab run bringup-report-tgt mmc-probe --report --write-test --yes-write "$dev" -o /lab/out/report-tgt.json
lab run bringup-refuse-data mmc-probe --write-test --yes-write --yes-erase "$dev"
exit 0
