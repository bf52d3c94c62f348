# Probe every drive as users do (/dev/srN), two through their sg node, list them.
# Each `lab run NAME` keeps NAME.out/.err/.rc for qemu_lane.rs to check.
for n in 0 1 2 3 4; do
    lab run probe-cd$n mmc-probe --json "$(lab dev cd$n)"
done
lab run probe-sg-cd0 mmc-probe --json "$CD0_SG"
lab run probe-sg-cd2 mmc-probe --json "$CD2_SG"
lab run probe-text-cd0 mmc-probe "$CD0"
lab run list-json mmc-probe --json
lab run list-text mmc-probe
