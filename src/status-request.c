// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestvirt status, the request: nestvirt= and nestvirt.*= on the root's own proc/cmdline (never
 * the running host's when re-rooted), the persistent setting, what the boot helper recorded in
 * its state, and whether the first boot has run (its stamp) and with what result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdline.h"
#include "status.h"

#define CMDLINE_MAX	(64 * 1024)
#define PERSISTENT_PATH "etc/nestvirt/persistent"
#define SMALL_MAX	(64 * 1024)
#define STAMP_PATH	"var/lib/nestvirt/firstboot.done"
#define FIRSTBOOT_UNIT	"nestvirt-firstboot.service"

static void note_refused(const char *token, const char *reason, void *userdata)
{
	struct status_request *q = userdata;

	(void)reason;
	snprintf(q->cmdline_refused, sizeof(q->cmdline_refused), "%s", token);
}

static void note_bad_line(unsigned line, const char *text, void *userdata)
{
	(void)text;
	((struct status_request *)userdata)->persistent_bad_line = line;
}

static void read_cmdline(int rootfd, enum kvm_module m, struct status_request *q)
{
	struct cmdline_opts o;
	size_t len;
	char *buf;

	q->cmdline = -1;
	q->firstboot = -1;
	q->cmdline_err = status_read_file(rootfd, "proc/cmdline", CMDLINE_MAX, &buf, &len);
	if (q->cmdline_err < 0)
		return;
	cmdline_parse(buf, len, &o, note_refused, q);
	free(buf);
	q->cmdline = o.request;
	if (m != KVM_MODULE_NONE)
		snprintf(q->admin_nested, sizeof(q->admin_nested), "%s", o.admin_nested[m]);
	snprintf(q->cpu, sizeof(q->cpu), "%s", o.cpu);
	snprintf(q->domains, sizeof(q->domains), "%s", o.domains);
	snprintf(q->exclude, sizeof(q->exclude), "%s", o.exclude);
	q->firstboot = o.firstboot;
}

static void read_persistent(int rootfd, struct status_request *q)
{
	size_t len;
	char *buf;

	q->persistent = -1;
	q->persistent_err = status_read_file(rootfd, PERSISTENT_PATH, SMALL_MAX, &buf, &len);
	if (q->persistent_err < 0)
		return;
	q->persistent = cmdline_parse_persistent(buf, len, note_bad_line, q);
	free(buf);
}

/* The state is the helper's own key=value text: anything else is not a state it wrote. */
static const char *state_text_problem(const char *buf, size_t len)
{
	static const char *const needed[] = {"request=", "action="};

	if (len == 0)
		return "empty";
	if (memchr(buf, '\0', len))
		return "binary";
	for (const char *p = buf; p < buf + len;) {
		const char *nl = memchr(p, '\n', buf + len - p);
		size_t llen = (nl ? nl : buf + len) - p;
		size_t klen = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");

		if (llen > 0 && (klen == 0 || klen >= llen || p[klen] != '='))
			return "a line that is not key=value";
		p += llen + 1;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		size_t n = strlen(needed[i]);
		bool found = len >= n && !memcmp(buf, needed[i], n);

		for (const char *p = buf; !found && (p = memmem(p, buf + len - p, needed[i], n));
		     p++)
			found = p[-1] == '\n';
		if (!found)
			return needed[i][0] == 'r' ? "no request= line" : "no action= line";
	}
	return NULL;
}

static void read_state(int rootfd, struct status_request *q)
{
	const char *bad;
	size_t len;
	char *buf;
	int err;

	state_init(&q->st);
	err = status_read_file(rootfd, STATE_DIR "/" STATE_NAME, SMALL_MAX, &buf, &len);
	if (err == -ENOENT) {
		q->state_kind = STATE_FILE_ABSENT;
		return;
	}
	if (err < 0) {
		q->state_kind = STATE_FILE_UNREADABLE;
		snprintf(q->state_err, sizeof(q->state_err), "/%s/%s: %s", STATE_DIR, STATE_NAME,
			 status_strerror(err));
		return;
	}
	bad = state_text_problem(buf, len);
	if (!bad) {
		state_parse(buf, len, &q->st);
		if (q->st.request < -1 || q->st.request > 1)
			bad = "request= is not -1, 0 or 1";
	}
	free(buf);
	if (bad) {
		state_init(&q->st);
		q->state_kind = STATE_FILE_INVALID;
		snprintf(q->state_err, sizeof(q->state_err),
			 "/%s/%s: not a state the boot helper wrote (%s)", STATE_DIR, STATE_NAME,
			 bad);
		return;
	}
	q->state_kind = STATE_FILE_OK;
}

/* On the running host only: did systemd run the first-boot unit and see it fail? The unit
 * leaves no stamp when it fails, so systemd's record is the only one. */
static void ask_systemd(struct status_request *q)
{
	char out[256] = "";
	int pipefd[2], st;
	size_t n = 0;
	ssize_t k;
	pid_t pid;

	if (access("/run/systemd/system", F_OK) < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return;
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execlp("systemctl", "systemctl", "show", "--property=ActiveState,Result",
		       FIRSTBOOT_UNIT, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (n + 1 < sizeof(out) && (k = read(pipefd[0], out + n, sizeof(out) - n - 1)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n += (size_t)k;
	}
	out[n] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (strstr(out, "ActiveState=failed\n")) {
		const char *res = strstr(out, "Result=");

		q->stamp = STAMP_FAILED;
		snprintf(q->stamp_err, sizeof(q->stamp_err),
			 FIRSTBOOT_UNIT " failed (systemd: %.*s)",
			 res ? (int)strcspn(res, "\n") : 8, res ? res : "Result=?");
	}
}

static void read_stamp(int rootfd, const char *root, struct status_request *q)
{
	size_t len;
	char *buf;
	int err;

	q->stamp_result = -1;
	err = status_read_file(rootfd, STAMP_PATH, SMALL_MAX, &buf, &len);
	if (err == -ENOENT) {
		q->stamp = STAMP_ABSENT;
		if (!strcmp(root, "/"))
			ask_systemd(q);
		return;
	}
	if (err < 0) {
		q->stamp = STAMP_UNREADABLE;
		snprintf(q->stamp_err, sizeof(q->stamp_err), "/%s: %s", STAMP_PATH,
			 status_strerror(err));
		return;
	}
	for (char *p = buf, *line; (line = strsep(&p, "\n"));) {
		if (!strncmp(line, "done=", 5))
			snprintf(q->stamp_done, sizeof(q->stamp_done), "%s", line + 5);
		else if (!strncmp(line, "result=", 7) && line[7] >= '0' && line[7] <= '9')
			q->stamp_result = atoi(line + 7);
	}
	free(buf);
	if (q->stamp_result < 0) {
		q->stamp = STAMP_UNREADABLE;
		snprintf(q->stamp_err, sizeof(q->stamp_err),
			 "/%s: no result= line: not a stamp nestvirt firstboot wrote", STAMP_PATH);
		return;
	}
	q->stamp = q->stamp_result == 0 ? STAMP_DONE : STAMP_FAILED;
	if (q->stamp == STAMP_FAILED)
		snprintf(q->stamp_err, sizeof(q->stamp_err), "/%s records result=%d", STAMP_PATH,
			 q->stamp_result);
}

void status_read_request(int rootfd, struct status_report *r)
{
	struct status_request *q = &r->req;

	read_cmdline(rootfd, r->host.module, q);
	read_persistent(rootfd, q);
	read_state(rootfd, q);
	read_stamp(rootfd, r->root, q);
	q->request = -1;
	q->source = "";
	if (q->cmdline_err == 0 && q->cmdline >= 0) {
		q->request = q->cmdline;
		q->source = "cmdline";
	} else if ((q->cmdline_err == 0 || q->cmdline_err == -ENOENT) && q->persistent >= 0) {
		q->request = q->persistent;
		q->source = "persistent";
	} else if (q->cmdline_err < 0 && q->cmdline_err != -ENOENT &&
		   q->state_kind == STATE_FILE_OK) {
		/* The command line cannot be read: the helper's record of it is the next best. */
		q->request = q->st.request;
		q->source = q->st.request >= 0 ? "state" : "";
		snprintf(q->admin_nested, sizeof(q->admin_nested), "%s", q->st.admin_nested);
		snprintf(q->cpu, sizeof(q->cpu), "%s", q->st.cpu);
		snprintf(q->domains, sizeof(q->domains), "%s", q->st.domains);
		snprintf(q->exclude, sizeof(q->exclude), "%s", q->st.exclude);
		q->firstboot = q->st.firstboot;
	}
}
