// SPDX-License-Identifier: LGPL-2.1-or-later
/* Step 1 of the --cpu SPEC parser: the comma split of virtinst's parse_optstr_tuples. */
#include "cpuspec-split.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tuples_push(struct cpuspec_tuples *t, char *key, char *val)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		struct cpuspec_tuple *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (struct cpuspec_tuple){key, val};
	return 0;
}

void cpuspec_tuples_free(struct cpuspec_tuples *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].key); /* val points into the same allocation */
	free(t->v);
}

/* Split one shlex token "key=value" into a tuple; @tok is malloc'd and owned by the tuple. */
static int push_token(struct cpuspec_tuples *toks, char *tok)
{
	char *eq = strchr(tok, '=');
	int r;

	if (eq)
		*eq++ = '\0';
	r = tuples_push(toks, tok, eq);
	if (r < 0)
		free(tok);
	return r;
}

/* The state of Python's shlex over one token: ' ' between tokens, 'a' in a word, a quote
 * character inside quotes, '\\' after a backslash (then @escaped is the state to go back to). */
struct lexer {
	char *tok;
	size_t n;
	char state, escaped;
	bool quoted;
};

enum { LEX_MORE, LEX_TOKEN, LEX_OPEN_QUOTE, LEX_OPEN_ESCAPE };

static int lex_escaped(struct lexer *l, char c)
{
	if (c == '\0')
		return LEX_OPEN_ESCAPE;
	/* inside double quotes a backslash escapes only '"' and itself */
	if (l->escaped == '"' && c != '"' && c != '\\')
		l->tok[l->n++] = '\\';
	l->tok[l->n++] = c;
	l->state = l->escaped;
	return LEX_MORE;
}

static int lex_quoted(struct lexer *l, char c)
{
	l->quoted = true;
	if (c == '\0')
		return LEX_OPEN_QUOTE;
	if (c == l->state) {
		l->state = 'a';
	} else if (l->state == '"' && c == '\\') {
		l->escaped = l->state;
		l->state = '\\';
	} else {
		l->tok[l->n++] = c;
	}
	return LEX_MORE;
}

/* One character of the input, '\0' for its end. */
static int lex_step(struct lexer *l, char c)
{
	if (l->state == '\\')
		return lex_escaped(l, c);
	if (l->state == '\'' || l->state == '"')
		return lex_quoted(l, c);
	if (c == ',' || c == '\0') {
		l->state = ' ';
		return LEX_TOKEN;
	}
	if (c == '\'' || c == '"') {
		l->state = c;
	} else if (c == '\\') {
		l->escaped = 'a';
		l->state = '\\';
	} else {
		l->tok[l->n++] = c;
		l->state = 'a';
	}
	return LEX_MORE;
}

/*
 * Python's shlex.shlex(text, posix=True) with whitespace=",", whitespace_split=True and no
 * commenters: quotes ' and " group, a backslash escapes outside quotes and, inside double
 * quotes, before '"' or '\\'. Empty unquoted tokens (",,") vanish; "''" is an empty token.
 */
int cpuspec_split(const char *text, struct cpuspec_tuples *toks, char *err, size_t errlen)
{
	size_t len = strlen(text);
	struct lexer l = {.state = ' '};
	int r = 0;

	for (size_t i = 0; i <= len && r >= 0; i++) {
		if (!l.tok && !(l.tok = malloc(len + 1)))
			return -ENOMEM;
		switch (lex_step(&l, text[i])) {
		case LEX_OPEN_QUOTE:
			snprintf(err, errlen, "'%s': no closing quotation", text);
			r = -EINVAL;
			break;
		case LEX_OPEN_ESCAPE:
			snprintf(err, errlen, "'%s': nothing after the final backslash", text);
			r = -EINVAL;
			break;
		case LEX_TOKEN:
			if (l.n || l.quoted) {
				l.tok[l.n] = '\0';
				r = push_token(toks, l.tok);
				l.tok = NULL;
			}
			l.n = 0;
			l.quoted = false;
			break;
		}
	}
	free(l.tok);
	return r;
}
