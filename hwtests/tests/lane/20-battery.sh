# Raw replies to the fixed command battery, compared with the mock on the host.
# Runs before anything moves a tray, so every drive is as QEMU started it.
for n in 0 1 2 3 4; do
    lab run battery-cd$n mmc-probe --battery --json "$(lab dev cd$n)"
done
# Drive reports of QEMU's scsi-cd (cd0) and ide-cd (cd2), each with its CD: the host
# replays them in the mock and compares the batteries (qemu_lane.rs,
# qemu_drive_reports_replay_in_the_mock).
lab run report-cd0 mmc-probe --report "$(lab dev cd0)" -o /lab/out/report-cd0.json
lab run report-cd2 mmc-probe --report "$(lab dev cd2)" -o /lab/out/report-cd2.json
# LBA 16 through the kernel's block layer, to check the battery's READ data.
dd if="$CD0" of=/lab/out/dd-cd0-lba16.bin bs=2048 skip=16 count=1 2>/dev/null
dd if="$CD2" of=/lab/out/dd-cd2-lba16.bin bs=2048 skip=16 count=1 2>/dev/null
exit 0
