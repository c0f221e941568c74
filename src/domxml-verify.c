// SPDX-License-Identifier: LGPL-2.1-or-later
/* The edit's post-condition: its output, read again, is what the edit meant to write. */
#include "domxml-verify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* @buf[0, @end) without the blanks at its end. */
static size_t trim_end(const char *buf, size_t end)
{
	while (end > 0 && blank(buf[end - 1]))
		end--;
	return end;
}

/* Where @buf[@from, @len) starts after its leading blanks. */
static size_t trim_start(const char *buf, size_t from, size_t len)
{
	while (from < len && blank(buf[from]))
		from++;
	return from;
}

/* The bytes before @a_from / @b_from and after @a_to / @b_to are the same, but for blanks next
 * to the edited range. */
static bool same_outside(const char *a, size_t a_len, size_t a_from, size_t a_to, const char *b,
			 size_t b_len, size_t b_from, size_t b_to)
{
	size_t ap = trim_end(a, a_from), bp = trim_end(b, b_from);
	size_t as = trim_start(a, a_to, a_len), bs = trim_start(b, b_to, b_len);

	return ap == bp && !memcmp(a, b, ap) && a_len - as == b_len - bs &&
	       !memcmp(a + as, b + bs, a_len - as);
}

static int fail(char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "%s", reason);
	return -EBADMSG;
}

int verify_splice(struct arena *ar, const struct domdoc *in, const struct splice *s,
		  bool cpu_present, char *why, size_t whylen)
{
	struct domdoc out;
	int r;

	if (whylen)
		why[0] = '\0';
	if (s->old_from > s->old_to || s->old_to > in->len || s->new_from > s->new_to ||
	    s->new_to > s->len)
		return fail(why, whylen, "the edited range is outside the document");
	r = domdoc_scan(ar, s->out, s->len, &out);
	if (r < 0)
		return r;
	if (out.invalid) {
		snprintf(why, whylen, "the edited document cannot be read back: %s", out.invalid);
		return -EBADMSG;
	}
	if (in->ns_ok && !out.ns_ok)
		return fail(why, whylen,
			    "the edited document uses a namespace prefix it does not declare");
	if (out.ncpu != (cpu_present ? 1 : 0))
		return fail(why, whylen, "the edited document does not have the <cpu> it should");
	if (cpu_present && (out.cpu_start != s->new_from || out.cpu_end != s->new_to))
		return fail(why, whylen, "the edited <cpu> is not where it was written");
	if (!same_outside(in->buf, in->len, s->old_from, s->old_to, s->out, s->len, s->new_from,
			  s->new_to))
		return fail(why, whylen, "the edit changed bytes outside <cpu>");
	return 0;
}
