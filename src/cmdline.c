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
			 bool *has_eq)
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
	for (size_t j = start; j < end && n + 1 < toksize; j++) {
		if (eq && j == eq + 1 && p[j] == '"')
			continue;
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
	static const char *const on[] = { "1", "yes", "on", "true" };
	static const char *const off[] = { "0", "no", "off", "false" };

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

static void note_token(const char *tok, size_t keylen, bool has_eq, struct cmdline_opts *opts,
		       cmdline_warn_fn warn, void *userdata)
{
	const char *val = has_eq ? tok + keylen + 1 : "";

	if (keylen == strlen("nestvirt") && !strncmp(tok, "nestvirt", keylen)) {
		enum nv_request r = parse_request(val, has_eq);

		/* An unknown value counts as absent: the last valid word must not win over it. */
		opts->request = r;
		if (r == NV_REQUEST_ABSENT && warn)
			warn(tok, userdata);
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
	while (i < len) {
		char tok[128];
		size_t keylen, used;
		bool has_eq;

		if (is_sep(buf[i])) {
			i++;
			continue;
		}
		used = next_token(buf + i, len - i, tok, sizeof(tok), &keylen, &has_eq);
		i += used;
		note_token(tok, keylen, has_eq, opts, warn, userdata);
	}
}

int nv_request_value(enum nv_request r)
{
	return r == NV_REQUEST_ON ? 1 : 0;
}
