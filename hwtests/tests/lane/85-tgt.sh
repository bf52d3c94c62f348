# spindle burns tgt's DVD+R (a writable MMC emulation written by other people, over iSCSI)
# through the kernel: a new disc through /dev/srN on one drive and through /dev/sgN on the
# other, with -vv so the command transcript comes back. Then mmc-probe, verify --tree,
# spindle ls, and -- after a reload, so the kernel reads the new capacity -- verify against a
# dd of the disc and the kernel's isofs. /lab/data/tgt-drives holds "cdN cdM cdK" (the
# third is 87-bringup.sh's).
[ -f /lab/data/tgt-drives ] || exit 0
read -r sr_cd sg_cd _ < /lab/data/tgt-drives
dev=$(lab dev "$sr_cd")
sg=$(lab sg "$sg_cd")
mkdir -p /tmp/tgt-tree
tar -C /tmp/tgt-tree -xf /lab/data/tgt-tree.tar
lab run tgt-probe-blank mmc-probe --json "$dev"
lab run tgt-burn-sr spindle -vv burn "$dev" --new-disc --tree DEST=/tmp/tgt-tree -V SPINDLE_TGT
lab run tgt-burn-sg spindle -vv burn "$sg" --new-disc --tree DEST=/tmp/tgt-tree -V SPINDLE_TGT
lab run tgt-probe-sr mmc-probe --json "$dev"
lab run tgt-probe-sg mmc-probe --json "$sg"
lab run tgt-verify-tree-sr spindle verify "$dev" --tree DEST=/tmp/tgt-tree
lab run tgt-verify-tree-sg spindle verify "$sg" --tree DEST=/tmp/tgt-tree
lab run tgt-ls spindle ls "$dev"
lab run tgt-refresh spindle refresh "$dev"
# tgt raises no UNIT ATTENTION when its tray closes, so a reload within one open (refresh)
# leaves the kernel with the blank disc's size. The kernel's own media check notices the
# disc gone (an open while the tray is out) and back (the next open): separate opens.
lab run tgt-eject spindle eject "$dev"
lab run tgt-probe-ejected mmc-probe "$dev"
lab run tgt-load spindle load "$dev"
dd if="$dev" of=/tmp/tgt-disc.iso bs=2048 2> /lab/out/tgt-dd.err
sha256sum /tmp/tgt-disc.iso | cut -d' ' -f1 > /lab/out/tgt-dd.sha256
lab run tgt-verify-image spindle verify "$dev" /tmp/tgt-disc.iso
mkdir -p /mnt/tgt
lab run tgt-mount mount -t iso9660 -o ro "$dev" /mnt/tgt
lab run tgt-isofs-md5 sh -c 'cd /mnt/tgt && find . -type f | sort | while IFS= read -r p; do md5sum "$p"; done'
umount /mnt/tgt
exit 0
