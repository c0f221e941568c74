# Bash completion for nestvirt (issue 10): completion/nestvirt.bash, installed as the file
# bash-completion loads on demand for the command `nestvirt`. Below PREFIX (as
# bash-completion's own completionsdir is below its prefix), so a private-prefix install
# stays private.
BASHCOMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions

.PHONY: install-completion uninstall-completion
install: install-completion
uninstall: uninstall-completion

install-completion:
	install -d $(DESTDIR)$(BASHCOMPLETIONDIR)
	install -m 0644 completion/nestvirt.bash $(DESTDIR)$(BASHCOMPLETIONDIR)/nestvirt

uninstall-completion:
	rm -f $(DESTDIR)$(BASHCOMPLETIONDIR)/nestvirt
