// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cmdline.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Module parameter names treat '-' and '_' alike, as the kernel's parameq() does. */
static bool param_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];

		if (x != y)
			return false;
	}
	return true;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       c == '\0';
}

/*
 * Cut the next token as the kernel's next_arg() does: blanks inside double quotes do not split;
 * a quote that opens the token, a quote that opens the value, and the matching quote at the
 * end are dropped; other quotes stay. The cleaned token goes to @tok (truncated to @toksize),
 * the key length to @keylen. Returns the bytes consumed.
 */
static size_t next_token(const char *p, size_t len, char *tok, size_t toksize, size_t *keylen,
			 bool *has_eq, bool *truncated)
{
	bool quoted = false, in_quote = false;
	size_t i = 0, eq = 0, n, start = 0, end;

	if (p[0] == '"') {
		quoted = in_quote = true;
		start = i = 1;
	}
	for (; i < len; i++) {
		if (!in_quote && is_sep(p[i]))
			break;
		if (!eq && p[i] == '=')
			eq = i;
		if (p[i] == '"')
			in_quote = !in_quote;
	}
	end = i;
	*has_eq = eq != 0;
	if (eq && eq + 1 < end && p[eq + 1] == '"') {
		/* A quoted value: drop its opening quote and, if present, the closing one. */
		quoted = true;
	}
	if (quoted && end > start && p[end - 1] == '"')
		end--;
	n = 0;
	*truncated = false;
	for (size_t j = start; j < end; j++) {
		if (eq && j == eq + 1 && p[j] == '"')
			continue;
		if (n + 1 >= toksize) {
			*truncated = true;
			break;
		}
		tok[n++] = p[j];
	}
	tok[n] = '\0';
	*keylen = eq ? eq - start : n;
	if (*keylen >= n) {
		/* The '=' fell beyond the truncation: no key we know is that long. */
		*keylen = n;
		*has_eq = false;
	}
	return i;
}

static enum nv_request parse_request(const char *val, bool has_eq)
{
	static const char *const on[] = {"1", "yes", "on", "true"};
	static const char *const off[] = {"0", "no", "off", "false"};

	if (!has_eq)
		return NV_REQUEST_ON;
	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(val, on[i]))
			return NV_REQUEST_ON;
		if (!strcmp(val, off[i]))
			return NV_REQUEST_OFF;
	}
	return NV_REQUEST_ABSENT;
}

static bool key_is(const char *tok, size_t keylen, const char *key)
{
	return keylen == strlen(key) && !strncmp(tok, key, keylen);
}

static bool has_control(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* A one-boot override: a string field; refused values clear it. */
static void note_override(const char *tok, const char *val, bool has_eq, bool truncated,
			  char *field, size_t size, cmdline_warn_fn warn, void *userdata)
{
	const char *why = NULL;

	field[0] = '\0';
	if (!has_eq || !val[0])
		why = "expected a value";
	else if (truncated || strlen(val) >= size)
		why = "value longer than 255 bytes";
	else if (has_control(val))
		why = "value contains a control character";
	if (why) {
		if (warn)
			warn(tok, why, userdata);
		return;
	}
	memcpy(field, val, strlen(val) + 1);
}

static void note_nestvirt(const char *tok, size_t keylen, bool has_eq, bool truncated,
			  struct cmdline_opts *opts, cmdline_warn_fn warn, void *userdata)
{
	const char *val = has_eq ? tok + keylen + 1 : "";
	enum nv_request r;

#define OVERRIDE(key, field)                                                                       \
	if (key_is(tok, keylen, key)) {                                                            \
		note_override(tok, val, has_eq, truncated, field, sizeof(field), warn, userdata);  \
		return;                                                                            \
	}
	OVERRIDE("nestvirt.cpu", opts->cpu);
	OVERRIDE("nestvirt.domains", opts->domains);
	OVERRIDE("nestvirt.exclude", opts->exclude);
#undef OVERRIDE
	r = parse_request(truncated ? "" : val, has_eq);
	/* An unknown value counts as absent: the last valid word must not win over it. */
	if (key_is(tok, keylen, "nestvirt.firstboot")) {
		opts->firstboot = r;
		if (r == NV_REQUEST_ABSENT && warn)
			warn(tok, "expected nestvirt.firstboot, =1|yes|on|true or =0|no|off|false",
			     userdata);
	} else if (key_is(tok, keylen, "nestvirt")) {
		opts->request = r;
		if (r == NV_REQUEST_ABSENT && warn)
			warn(tok,
			     "expected nestvirt, nestvirt=1|yes|on|true or nestvirt=0|no|off|false",
			     userdata);
	}
}

static void note_token(const char *tok, size_t keylen, bool has_eq, bool truncated,
		       struct cmdline_opts *opts, cmdline_warn_fn warn, void *userdata)
{
	const char *val = has_eq ? tok + keylen + 1 : "";

	if (keylen >= strlen("nestvirt") && !strncmp(tok, "nestvirt", strlen("nestvirt"))) {
		note_nestvirt(tok, keylen, has_eq, truncated, opts, warn, userdata);
		return;
	}
	for (int m = 0; m < KVM_MODULE_COUNT; m++) {
		char name[32];

		snprintf(name, sizeof(name), "%s.nested", kvm_module_name(m));
		if (has_eq && param_eq(tok, keylen, name))
			snprintf(opts->admin_nested[m], sizeof(opts->admin_nested[m]), "%s", val);
	}
}

void cmdline_parse(const char *buf, size_t len, struct cmdline_opts *opts, cmdline_warn_fn warn,
		   void *userdata)
{
	size_t i = 0;

	memset(opts, 0, sizeof(*opts));
	opts->request = NV_REQUEST_ABSENT;
	opts->firstboot = -1;
	while (i < len) {
		char tok[2 * CMDLINE_VALUE_MAX];
		size_t keylen, used;
		bool has_eq, truncated;

		if (is_sep(buf[i])) {
			i++;
			continue;
		}
		used = next_token(buf + i, len - i, tok, sizeof(tok), &keylen, &has_eq, &truncated);
		i += used;
		note_token(tok, keylen, has_eq, truncated, opts, warn, userdata);
	}
}

/* One line of the persistent file, blanks trimmed: 1 understood (or nothing), 0 not. */
static int persistent_line(const char *p, size_t n, enum nv_request *r)
{
	char text[64];
	enum nv_request v;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	if (n == 0 || *p == '#')
		return 1;
	if (memchr(p, '\0', n))
		return 0;
	if (n >= sizeof(text) || n < strlen("nestvirt=") || memcmp(p, "nestvirt=", 9) != 0)
		return 0;
	memcpy(text, p + 9, n - 9);
	text[n - 9] = '\0';
	v = parse_request(text, true);
	if (v == NV_REQUEST_ABSENT)
		return 0;
	*r = v;
	return 1;
}

enum nv_request cmdline_parse_persistent(const char *buf, size_t len, cmdline_line_warn_fn warn,
					 void *userdata)
{
	enum nv_request r = NV_REQUEST_ABSENT;
	const char *p = buf, *end = buf + len;
	unsigned line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;

		line++;
		if (!persistent_line(p, n, &r)) {
			char text[128];

			snprintf(text, sizeof(text), "%.*s", (int)n, p);
			if (warn)
				warn(line, text, userdata);
			return NV_REQUEST_ABSENT;
		}
		p += n + 1;
	}
	return r;
}

int nv_request_value(enum nv_request r)
{
	return r == NV_REQUEST_ON ? 1 : 0;
}
