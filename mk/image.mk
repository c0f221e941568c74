# Offline provisioning of a host image (issue 8): nestvirt image finds the root filesystem with
# libblkid, attaches it through an autoclear loop device, mounts it in a private mount namespace
# and writes the persistent setting (persistent.c, shared with nestvirt enable) or rewrites the
# image's domains (rewrite_main, in a process chrooted into the image).
CLI_SRCS += src/persistent.c src/image-opts.c src/image-probe.c src/image-loop.c src/image-mount.c \
	src/image-report.c src/image-chroot.c src/cmd-image.c
