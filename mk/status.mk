# nestvirt status (issue 7): the report's rooms (docs/status.md), the node_exporter textfile
# timer, and the Ansible local fact.
CLI_SRCS += src/status-host.c src/status-request.c src/status-modsrc.c src/status-initrd.c \
	src/status-judge.c src/status-text.c src/status-json.c src/status-textfile.c

ANSIBLEFACTSDIR ?= $(SYSCONFDIR)/ansible/facts.d

.PHONY: install-status uninstall-status
install: install-status
uninstall: uninstall-status

install-status: all
	install -d $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR) $(DESTDIR)$(ANSIBLEFACTSDIR) \
		$(DESTDIR)$(MANDIR)/man8
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/nestvirt-status-textfile.service.in \
		>$(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/nestvirt-status-textfile.service
	install -m 0644 systemd/nestvirt-status-textfile.timer \
		$(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/nestvirt-status-textfile.timer
	sed 's|@BINDIR@|$(BINDIR)|g' etc/ansible/nestvirt.fact.in \
		>$(DESTDIR)$(ANSIBLEFACTSDIR)/nestvirt.fact
	chmod 0755 $(DESTDIR)$(ANSIBLEFACTSDIR)/nestvirt.fact

uninstall-status:
	rm -f $(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/nestvirt-status-textfile.service \
		$(DESTDIR)$(SYSTEMDSYSTEMUNITDIR)/nestvirt-status-textfile.timer \
		$(DESTDIR)$(ANSIBLEFACTSDIR)/nestvirt.fact
