// SPDX-License-Identifier: LGPL-2.1-or-later
#include "udiff.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT 3
/* Beyond this many cells the middle is shown as one replaced block: still a correct diff. */
#define MAX_LCS_CELLS (4u * 1024 * 1024)

struct line {
	const char *p;
	size_t len; /* including the '\n', if any */
};

struct text {
	struct line *lines;
	size_t n;
};

enum op { OP_EQ, OP_DEL, OP_ADD };

struct script {
	unsigned char *ops; /* one per line of output: equal, deleted from a, added from b */
	size_t n;
};

static int split(const char *s, size_t len, struct text *t)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	n += len > 0 && s[len - 1] != '\n';
	t->lines = calloc(n ? n : 1, sizeof(*t->lines));
	if (!t->lines)
		return -ENOMEM;
	t->n = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (s + i)) + 1 : len - i;

		t->lines[t->n++] = (struct line){s + i, l};
		i += l;
	}
	return 0;
}

static bool same(const struct line *x, const struct line *y)
{
	return x->len == y->len && !memcmp(x->p, y->p, x->len);
}

static void emit(struct script *s, enum op op, size_t count)
{
	memset(s->ops + s->n, op, count);
	s->n += count;
}

/* LCS of a[0..n) and b[0..m) by dynamic programming from the ends, then one forward walk. */
static int diff_middle(const struct line *a, size_t n, const struct line *b, size_t m,
		       struct script *s)
{
	uint32_t *t;
	size_t i = 0, j = 0, w = m + 1;

	if (n == 0 || m == 0 || (n + 1) * (m + 1) > MAX_LCS_CELLS) {
		emit(s, OP_DEL, n);
		emit(s, OP_ADD, m);
		return 0;
	}
	t = calloc((n + 1) * w, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t x = n; x-- > 0;)
		for (size_t y = m; y-- > 0;) {
			uint32_t down = t[(x + 1) * w + y], right = t[x * w + y + 1];

			t[x * w + y] = same(&a[x], &b[y]) ? t[(x + 1) * w + y + 1] + 1
				       : down > right	  ? down
							  : right;
		}
	while (i < n && j < m) {
		if (same(&a[i], &b[j])) {
			emit(s, OP_EQ, 1);
			i++, j++;
		} else if (t[(i + 1) * w + j] >= t[i * w + j + 1]) {
			emit(s, OP_DEL, 1);
			i++;
		} else {
			emit(s, OP_ADD, 1);
			j++;
		}
	}
	emit(s, OP_DEL, n - i);
	emit(s, OP_ADD, m - j);
	free(t);
	return 0;
}

static int make_script(const struct text *a, const struct text *b, struct script *s)
{
	size_t pre = 0, suf = 0;
	int r;

	while (pre < a->n && pre < b->n && same(&a->lines[pre], &b->lines[pre]))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	       same(&a->lines[a->n - 1 - suf], &b->lines[b->n - 1 - suf]))
		suf++;
	s->ops = malloc(a->n + b->n + 1);
	if (!s->ops)
		return -ENOMEM;
	s->n = 0;
	emit(s, OP_EQ, pre);
	r = diff_middle(a->lines + pre, a->n - pre - suf, b->lines + pre, b->n - pre - suf, s);
	if (r < 0)
		return r;
	emit(s, OP_EQ, suf);
	return 0;
}

static void print_range(FILE *out, char sign, size_t start, size_t count)
{
	/* diff -u: an empty range names the line before it; a count of 1 is left out. */
	if (count == 1)
		fprintf(out, " %c%zu", sign, start + 1);
	else
		fprintf(out, " %c%zu,%zu", sign, count ? start + 1 : start, count);
}

static void print_line(FILE *out, char sign, const struct line *l)
{
	fputc(sign, out);
	fwrite(l->p, 1, l->len, out);
	if (l->len == 0 || l->p[l->len - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", out);
}

/* Print the ops [from, to) as one hunk; @ai and @bi are the line numbers where it starts. */
static void print_hunk(FILE *out, const struct script *s, size_t from, size_t to,
		       const struct text *a, size_t ai, const struct text *b, size_t bi)
{
	size_t na = 0, nb = 0;

	for (size_t k = from; k < to; k++) {
		na += s->ops[k] != OP_ADD;
		nb += s->ops[k] != OP_DEL;
	}
	fputs("@@", out);
	print_range(out, '-', ai, na);
	print_range(out, '+', bi, nb);
	fputs(" @@\n", out);
	for (size_t k = from; k < to; k++) {
		if (s->ops[k] == OP_EQ) {
			print_line(out, ' ', &a->lines[ai++]);
			bi++;
		} else if (s->ops[k] == OP_DEL) {
			print_line(out, '-', &a->lines[ai++]);
		} else {
			print_line(out, '+', &b->lines[bi++]);
		}
	}
}

static void print_hunks(FILE *out, const struct script *s, const struct text *a,
			const struct text *b)
{
	size_t k = 0, ai = 0, bi = 0;

	while (k < s->n) {
		size_t start, end, eq, sa, sb;

		while (k < s->n && s->ops[k] == OP_EQ)
			k++, ai++, bi++;
		if (k == s->n)
			break;
		start = k > CONTEXT ? k - CONTEXT : 0;
		sa = ai - (k - start);
		sb = bi - (k - start);
		/* Extend over changes closer than two contexts apart: they share a hunk. */
		for (end = k, eq = 0; end < s->n && eq <= 2 * CONTEXT; end++)
			eq = s->ops[end] == OP_EQ ? eq + 1 : 0;
		end -= eq > CONTEXT ? eq - CONTEXT : 0;
		print_hunk(out, s, start, end, a, sa, b, sb);
		for (; k < end; k++) {
			ai += s->ops[k] != OP_ADD;
			bi += s->ops[k] != OP_DEL;
		}
	}
}

int udiff_write(FILE *out, const char *alabel, const char *a, size_t alen, const char *blabel,
		const char *b, size_t blen)
{
	struct text ta = {0}, tb = {0};
	struct script s = {0};
	int r;

	if (alen == blen && !memcmp(a, b, alen))
		return 0;
	r = split(a, alen, &ta);
	if (r == 0)
		r = split(b, blen, &tb);
	if (r == 0)
		r = make_script(&ta, &tb, &s);
	if (r == 0) {
		fprintf(out, "--- %s\n+++ %s\n", alabel, blabel);
		print_hunks(out, &s, &ta, &tb);
		r = ferror(out) ? -EIO : 0;
	}
	free(s.ops);
	free(ta.lines);
	free(tb.lines);
	return r;
}
