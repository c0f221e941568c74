# The Debian packages (issue 10): the man7 page (nestvirt.cmdline(7)) and make check-pkg.
.PHONY: install-man7 uninstall-man7 check-pkg
install: install-man7
uninstall: uninstall-man7

install-man7:
	install -d $(DESTDIR)$(MANDIR)/man7
	install -m 0644 $(wildcard docs/*.7) $(DESTDIR)$(MANDIR)/man7/

uninstall-man7:
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(wildcard docs/*.7)))

# The package tests: they build the .debs (cached per tree content in /var/cache/nestvirt-deb)
# and install them into chroots of the cached VM root (/var/cache/nestvirt-vm). make check
# leaves them out; make check-pkg runs them with the man page and completion checks.
PKG_ONLY_TESTS := $(sort $(wildcard tests/integration/6[02-9]-*.sh))
check-pkg: all
	$(PROVE) $(sort $(wildcard tests/integration/6[0-9]-*.sh))
