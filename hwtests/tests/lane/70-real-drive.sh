# real_drive.rs (built by the lane, with the cli binaries beside it) against a
# drive with a medium (cd0), the empty AHCI drive (cd4; cd3 got a DVD in step 50),
# and no drive named at all.
export SPINDLE_CLI_BIN_DIR=/lab/bin
SPINDLE_TEST_DEVICE="$CD0" lab run realdrive-cd0 real_drive --ignored --nocapture --test-threads 1
SPINDLE_TEST_DEVICE="$CD4" lab run realdrive-cd4 real_drive --ignored --nocapture --test-threads 1
lab run realdrive-unset real_drive --ignored --nocapture --test-threads 1
exit 0
