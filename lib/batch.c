#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "names.h"

/* Returns 1 for a JSON string without NUL, usable as a C string. */
static int
json_is_text(json_t *v)
{
	return json_is_string(v) &&
	    strlen(json_string_value(v)) == json_string_length(v);
}

/*
 * Appends the strings of v (one string, or an array of strings, none
 * with NUL bytes) to out. Returns 0, or -1 with err set.
 */
static int
json_strings(json_t *v, struct dm_strv *out, const char *field, char *err,
    size_t errlen)
{
	size_t i;
	json_t *item;

	if (json_is_text(v)) {
		if (dm_strv_add(out, json_string_value(v)) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (!json_is_array(v)) {
		snprintf(err, errlen, "\"%s\" must be an array of strings", field);
		return -1;
	}
	json_array_foreach(v, i, item) {
		if (!json_is_text(item)) {
			snprintf(err, errlen, "\"%s\" must be an array of strings",
			    field);
			return -1;
		}
		if (dm_strv_add(out, json_string_value(item)) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Stores the member k: v of a line in l. Returns 0, or -1 with err set. */
static int
parse_member(struct dm_batch_line *l, const char *k, json_t *v, char *err,
    size_t errlen)
{
	if (strcmp(k, "to") == 0) {
		if (json_strings(v, &l->req.to, k, err, errlen) != 0)
			return -1;
	} else if (strcmp(k, "subject") == 0 && json_is_string(v)) {
		l->req.subject = json_string_value(v);
		l->req.subject_len = json_string_length(v);
	} else if (strcmp(k, "body") == 0 && json_is_string(v)) {
		l->req.body = json_string_value(v);
		l->req.body_len = json_string_length(v);
	} else if (strcmp(k, "attach") == 0) {
		if (json_strings(v, &l->paths, k, err, errlen) != 0)
			return -1;
	} else if (strcmp(k, "priority") == 0 && json_is_text(v)) {
		l->req.priority = dm_priority_parse(json_string_value(v));
		if (l->req.priority < 0) {
			snprintf(err, errlen, "invalid priority: %s: use low, "
			    "normal, high or urgent", json_string_value(v));
			return -1;
		}
	} else if (strcmp(k, "tags") == 0) {
		if (json_strings(v, &l->req.tags, k, err, errlen) != 0)
			return -1;
	} else if (strcmp(k, "reply") == 0 && json_is_text(v)) {
		l->reply = json_string_value(v);
	} else if (strcmp(k, "id") == 0 && json_is_text(v) &&
	    json_string_length(v) > 0) {
		l->key = json_string_value(v);
	} else {
		snprintf(err, errlen, "%s field: \"%.64s\"",
		    strcmp(k, "to") == 0 || strcmp(k, "subject") == 0 ||
		    strcmp(k, "body") == 0 || strcmp(k, "priority") == 0 ||
		    strcmp(k, "reply") == 0 || strcmp(k, "id") == 0 ?
		    "invalid value in" : "unknown", k);
		return -1;
	}
	return 0;
}

int
dm_batch_parse_line(const char *text, size_t len, struct dm_batch_line *l,
    char *err, size_t errlen)
{
	json_error_t jerr;
	const char *k;
	json_t *v;
	size_t i;

	memset(l, 0, sizeof(*l));
	l->req.body_fd = -1;
	l->req.body = "";
	l->req.priority = DM_PRIO_NORMAL;
	/* A body is bytes, so NUL is allowed. Text fields are checked below. */
	l->root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (l->root == NULL) {
		snprintf(err, errlen, "invalid JSON: %s at column %d", jerr.text,
		    jerr.column);
		return -1;
	}
	if (!json_is_object(l->root)) {
		snprintf(err, errlen, "a line must be a JSON object");
		return -1;
	}
	json_object_foreach(l->root, k, v) {
		if (parse_member(l, k, v, err, errlen) != 0)
			return -1;
	}

	if (l->req.to.n == 0 && l->reply == NULL) {
		snprintf(err, errlen, "\"to\" is missing");
		return -1;
	}
	if (l->req.subject != NULL &&
	    memchr(l->req.subject, '\0', l->req.subject_len) != NULL) {
		snprintf(err, errlen, "invalid subject: contains a NUL byte");
		return -1;
	}
	for (i = 0; i < l->req.tags.n; i++) {
		if (!dm_tag_valid(l->req.tags.v[i])) {
			snprintf(err, errlen, "invalid tag: %.64s", l->req.tags.v[i]);
			return -1;
		}
	}

	l->att = calloc(l->paths.n + 1, sizeof(*l->att));
	if (l->att == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < l->paths.n; i++)
		l->att[i].path = l->paths.v[i];
	l->req.att = l->att;
	l->req.natt = l->paths.n;
	return 0;
}

void
dm_batch_line_free(struct dm_batch_line *l)
{
	json_decref(l->root);
	dm_strv_free(&l->req.to);
	dm_strv_free(&l->req.tags);
	dm_strv_free(&l->paths);
	free(l->att);
	memset(l, 0, sizeof(*l));
}
