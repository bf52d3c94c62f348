# Tray open from the host (as a user pressing the button), then load, eject and
# load again from the guest with spindle.
set -e
for n in 0 2; do
    dev=$(lab dev cd$n)
    lab host tray-open cd$n > /lab/out/tray-host-open-cd$n.reply
    lab run tray-open-probe-cd$n mmc-probe --json "$dev"
    lab run tray-load-cd$n spindle load "$dev"
    lab run tray-loaded-probe-cd$n mmc-probe --json "$dev"
    lab run tray-eject-cd$n spindle eject "$dev"
    lab run tray-ejected-probe-cd$n mmc-probe --json "$dev"
    lab run tray-reload-cd$n spindle load "$dev"
    lab run tray-reloaded-probe-cd$n mmc-probe --json "$dev"
done
