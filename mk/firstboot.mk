# The first boot (issue 6): nestvirt firstboot, nestvirt enable|disable, /etc/nestvirt/nestvirt.conf,
# and nestvirt-firstboot.service.
CLI_SRCS += src/nvconf.c src/cmd-firstboot.c src/cmd-enable.c

SYSCONFDIR ?= /etc

# The rewriter's --skip-foreign (symlinks, FIFOs, non-domain files reported, not failed) comes
# with the data-safety work; pass it once the rewriter on this branch knows it.
NV_REWRITE_SKIP_FOREIGN := $(if $(shell grep -l -- '"skip-foreign"' src/cmd-rewrite.c 2>/dev/null),1,0)
$(B)/src/cmd-firstboot.o $(B)/san/src/cmd-firstboot.o: BASEFLAGS += -DNV_REWRITE_SKIP_FOREIGN=$(NV_REWRITE_SKIP_FOREIGN)
$(B)/src/cmd-firstboot.o $(B)/san/src/cmd-firstboot.o: src/cmd-rewrite.c

.PHONY: install-firstboot uninstall-firstboot
install: install-firstboot
install-firstboot: all
	install -d $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR) $(DESTDIR)$(SYSCONFDIR)/nestvirt \
		$(DESTDIR)$(MANDIR)/man5
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/nestvirt-firstboot.service.in \
		>$(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/nestvirt-firstboot.service
	@# The admin's edited file is never overwritten by a reinstall.
	[ -e $(DESTDIR)$(SYSCONFDIR)/nestvirt/nestvirt.conf ] || \
		install -m 0644 etc/nestvirt.conf $(DESTDIR)$(SYSCONFDIR)/nestvirt/nestvirt.conf
	install -m 0644 docs/nestvirt.conf.5 $(DESTDIR)$(MANDIR)/man5/nestvirt.conf.5

uninstall: uninstall-firstboot
uninstall-firstboot:
	rm -f $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/nestvirt-firstboot.service \
		$(DESTDIR)$(MANDIR)/man5/nestvirt.conf.5
