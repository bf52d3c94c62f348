# spindle verify reads the disc back with READ(10) through SG_IO (not the page cache of
# /dev/srN) and compares it with an image: the CD image QEMU serves (identical), and a
# copy with one byte flipped, where the failure must name the LBA. The medium is
# read-only, so the session start comes from the probe, not the burner.
for n in 0 2; do
    lab run verify-cd$n spindle verify "$(lab dev cd$n)" /lab/data/cd.iso
done
lab run verify-other-cd0 spindle verify "$(lab dev cd0)" /lab/data/cd-other.iso
lab run verify-other-cd2 spindle verify "$(lab dev cd2)" /lab/data/cd-other.iso
exit 0
