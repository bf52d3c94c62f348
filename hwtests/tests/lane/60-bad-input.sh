# Things that are not optical drives: a clear message and a documented exit code.
dd if=/dev/zero of=/lab/regular.bin bs=2048 count=20 2>/dev/null
lab run bad-devnull mmc-probe /dev/null
lab run bad-nonexistent mmc-probe /nonexistent
lab run bad-directory mmc-probe /lab
lab run bad-regular-file mmc-probe /lab/regular.bin
lab run bad-devnull-json mmc-probe --json /dev/null
lab run bad-nonexistent-battery mmc-probe --battery --json /dev/sr99
lab run bad-usage mmc-probe --no-such-option
lab run bad-spindle-eject-devnull spindle eject /dev/null
exit 0
