#!/bin/sh
# Test VM only: prints "SHA256 PATH" for every file under /etc/libvirt/qemu (paths relative to
# it, sorted), then "stamp yes|no" for nestvirt's first-boot stamp.
cd /etc/libvirt/qemu 2>/dev/null || { echo "stamp none"; exit 0; }
find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
	printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$f"
done
if [ -e /var/lib/nestvirt/firstboot.done ]; then echo "stamp yes"; else echo "stamp no"; fi
