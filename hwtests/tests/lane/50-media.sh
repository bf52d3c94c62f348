# Media changed by the host at run time: forced eject, re-insert, and a disc put
# into the drive that was empty.
set -e
lab host eject cd0 force > /lab/out/media-eject-cd0.reply
lab run media-ejected-probe-cd0 mmc-probe --json "$CD0"
lab host change cd0 cd > /lab/out/media-change-cd0.reply
lab run media-changed-probe-cd0 mmc-probe --json "$CD0"
lab host change cd3 dvd > /lab/out/media-change-cd3.reply
lab run media-inserted-probe-cd3 mmc-probe --json "$CD3"
