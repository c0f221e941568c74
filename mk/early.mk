# The boot helper on the real root (issue 6): its early unit, for hosts without the dracut module.
.PHONY: install-early uninstall-early
install: install-early
uninstall: uninstall-early

install-early:
	install -d $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' systemd/nestvirt-early.service \
		> $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/nestvirt-early.service
	chmod 0644 $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/nestvirt-early.service

uninstall-early:
	rm -f $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/nestvirt-early.service
