# The <cpu> edit engine (issue 3): --cpu SPEC parser, libvirt CPU map, in-memory <cpu> edit,
# and the hidden `nestvirt edit-cpu` used by the differential test against virt-xml.
CLI_SRCS += src/cpuspec.c src/cpuspec-split.c src/cpumap.c src/cpumap-close.c src/cmd-edit-cpu.c
# The <cpu> edit: domxml.c is the entry point, domxml-*.c its rooms (docs/rewrite-edit.md).
CLI_SRCS += src/domxml.c src/domxml-arena.c src/domxml-cpu.c src/domxml-scan.c \
	src/domxml-numaref.c src/domxml-edit.c src/domxml-reject.c src/domxml-write.c \
	src/domxml-verify.c
