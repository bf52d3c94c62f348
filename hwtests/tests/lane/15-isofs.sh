# The kernel's isofs mounts the image our own writer made (drive cd1) and lists the tree;
# qemu_lane.rs compares the listing and checksums with the source tree on the host.
set -e
mkdir -p /mnt/iso
lab run isofs-mount mount -t iso9660 -o ro "$(lab dev cd1)" /mnt/iso
lab run isofs-list sh -c 'cd /mnt/iso && find . -mindepth 1 | sort | while IFS= read -r p; do stat -c "%n|%F|%a|%s|%Y|%u:%g" "$p"; if [ -L "$p" ]; then echo "link|$p|$(readlink "$p")"; fi; done'
lab run isofs-md5 sh -c 'cd /mnt/iso && find . -type f | sort | while IFS= read -r p; do md5sum "$p"; done'
lab run isofs-umount umount /mnt/iso
