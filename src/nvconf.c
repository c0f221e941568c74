// SPDX-License-Identifier: LGPL-2.1-or-later
#include "nvconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpuspec.h"

enum key {
	K_MODE,
	K_CPU,
	K_POLICY,
	K_DOMAINS,
	K_EXCLUDE,
	K_BACKUP,
	K_OVERRIDE,
	K_INCLUDE_MANAGED,
	NKEYS,
};

static const char *const key_names[NKEYS] = {
    [K_MODE] = "mode",	       [K_CPU] = "cpu",
    [K_POLICY] = "policy",     [K_DOMAINS] = "domains",
    [K_EXCLUDE] = "exclude",   [K_BACKUP] = "backup",
    [K_OVERRIDE] = "override", [K_INCLUDE_MANAGED] = "include_managed",
};

/* One line being parsed: where it is and what the keys seen so far were set on. */
struct parser {
	struct nvconf *c;
	struct nvconf_error *err;
	unsigned line;
	unsigned seen[NKEYS];
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	p->err->line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void nvconf_init(struct nvconf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->mode, sizeof(c->mode), "feature");
	snprintf(c->policy, sizeof(c->policy), "require");
	c->backup = true;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static bool is_sep(char ch)
{
	return ch == ',' || ch == ' ' || ch == '\t';
}

/* A domain name glob: printable, no '/', as libvirt's names are file names. */
static bool glob_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '/')
			return false;
	return true;
}

int nvconf_globs_parse(const char *text, struct nvconf_globs *g, char *err, size_t errlen)
{
	const char *p = text;

	g->n = 0;
	while (*p) {
		size_t len;

		while (is_sep(*p))
			p++;
		if (!*p)
			break;
		len = strcspn(p, ", \t");
		if (len >= NVCONF_GLOB_MAX) {
			snprintf(err, errlen, "the glob '%.*s…' is longer than %d characters", 20,
				 p, NVCONF_GLOB_MAX - 1);
			return -EINVAL;
		}
		if (!glob_ok(p, len)) {
			snprintf(err, errlen,
				 "the glob '%.*s' has a '/' or a control character (domain names "
				 "are matched, not paths)",
				 (int)len, p);
			return -EINVAL;
		}
		if (g->n == NVCONF_MAX_GLOBS) {
			snprintf(err, errlen, "more than %d globs", NVCONF_MAX_GLOBS);
			return -EINVAL;
		}
		snprintf(g->v[g->n++], NVCONF_GLOB_MAX, "%.*s", (int)len, p);
		p += len;
	}
	return 0;
}

static int parse_bool(struct parser *p, const char *key, const char *v, bool *ret)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(v, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcmp(v, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return fail(p, "%s = %s: not a boolean (yes or no)", key, v);
}

static int set_mode(struct parser *p, const char *v)
{
	static const char *const modes[] = {"feature", "host-passthrough", "host-model"};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(v, modes[i])) {
			snprintf(p->c->mode, sizeof(p->c->mode), "%s", v);
			return 0;
		}
	return fail(p, "mode = %s: unknown mode (feature, host-passthrough or host-model)", v);
}

static int set_cpu(struct parser *p, const char *v)
{
	struct cpuspec *spec = NULL;
	char why[256];

	if (strlen(v) >= sizeof(p->c->cpu))
		return fail(p, "cpu = %.40s…: longer than %zu characters", v,
			    sizeof(p->c->cpu) - 1);
	if (cpuspec_parse(v, &spec, why, sizeof(why)) < 0)
		return fail(p, "cpu = %s: %s", v, why);
	cpuspec_free(spec);
	snprintf(p->c->cpu, sizeof(p->c->cpu), "%s", v);
	return 0;
}

static int set_policy(struct parser *p, const char *v)
{
	if (strcmp(v, "require") && strcmp(v, "force"))
		return fail(p, "policy = %s: unknown policy (require or force)", v);
	snprintf(p->c->policy, sizeof(p->c->policy), "%s", v);
	return 0;
}

static int set_globs(struct parser *p, const char *key, const char *v, struct nvconf_globs *g)
{
	char why[200];

	if (nvconf_globs_parse(v, g, why, sizeof(why)) < 0)
		return fail(p, "%s = %s: %s", key, v, why);
	return 0;
}

static int set_key(struct parser *p, enum key k, const char *v)
{
	switch (k) {
	case K_MODE:
		return set_mode(p, v);
	case K_CPU:
		return set_cpu(p, v);
	case K_POLICY:
		return set_policy(p, v);
	case K_DOMAINS:
		return set_globs(p, "domains", v, &p->c->domains);
	case K_EXCLUDE:
		return set_globs(p, "exclude", v, &p->c->exclude);
	case K_BACKUP:
		return parse_bool(p, "backup", v, &p->c->backup);
	case K_OVERRIDE:
		return parse_bool(p, "override", v, &p->c->override);
	case K_INCLUDE_MANAGED:
		return parse_bool(p, "include_managed", v, &p->c->include_managed);
	default:
		return -EINVAL;
	}
}

/* Keys that exclude each other, checked once the whole file is read. */
static int check_combination(struct parser *p)
{
	unsigned *s = p->seen;

	if (s[K_CPU] && s[K_MODE]) {
		p->line = s[K_CPU] > s[K_MODE] ? s[K_CPU] : s[K_MODE];
		return fail(p,
			    "cpu = and mode = exclude each other (mode on line %u, cpu on line %u)",
			    s[K_MODE], s[K_CPU]);
	}
	if (s[K_POLICY] && (s[K_CPU] || strcmp(p->c->mode, "feature"))) {
		p->line = s[K_POLICY];
		return fail(p,
			    "policy = %s applies to mode = feature only (a cpu = SPEC names "
			    "its own policies)",
			    p->c->policy);
	}
	for (int k = K_MODE; k <= K_POLICY; k++)
		if (s[k] > p->c->cpu_line)
			p->c->cpu_line = s[k];
	return 0;
}

static int lookup_key(const char *key, size_t len)
{
	for (int k = 0; k < NKEYS; k++)
		if (strlen(key_names[k]) == len && !memcmp(key_names[k], key, len))
			return k;
	return -1;
}

/* One line, NUL-terminated in @line (modified in place). */
static int parse_line(struct parser *p, char *line)
{
	char *key = line, *eq, *v, *end;
	size_t klen;
	int k;

	while (is_blank(*key))
		key++;
	if (!*key || *key == '#')
		return 0;
	eq = strchr(key, '=');
	if (!eq)
		return fail(p, "'%.60s': expected 'key = value'", key);
	for (klen = eq - key; klen > 0 && is_blank(key[klen - 1]); klen--)
		;
	k = lookup_key(key, klen);
	if (k < 0)
		return fail(p,
			    "unknown key '%.*s' (mode, cpu, policy, domains, exclude, backup, "
			    "override, include_managed)",
			    (int)(klen > 60 ? 60 : klen), key);
	if (p->seen[k])
		return fail(p, "%s = is set twice (first on line %u)", key_names[k], p->seen[k]);
	p->seen[k] = p->line;
	for (v = eq + 1; is_blank(*v); v++)
		;
	for (end = v + strlen(v); end > v && is_blank(end[-1]); end--)
		;
	*end = '\0';
	return set_key(p, k, v);
}

int nvconf_parse(const char *buf, size_t len, struct nvconf *c, struct nvconf_error *err)
{
	struct parser p = {.c = c, .err = err};
	const char *s = buf, *bufend = buf + len;
	char line[1024];
	int r;

	nvconf_init(c);
	*err = (struct nvconf_error){0};
	if (memchr(buf, '\0', len))
		return fail(&p, "has a NUL byte: not a text file");
	while (s < bufend) {
		const char *nl = memchr(s, '\n', bufend - s);
		size_t llen = (nl ? nl : bufend) - s;

		p.line++;
		if (llen >= sizeof(line))
			return fail(&p, "line longer than %zu characters", sizeof(line) - 1);
		memcpy(line, s, llen);
		line[llen] = '\0';
		r = parse_line(&p, line);
		if (r < 0)
			return r;
		s += llen + 1;
	}
	return check_combination(&p);
}
