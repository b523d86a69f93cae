#include <stdlib.h>

#include <sodium.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "format.h"
#include "names.h"
#include "text.h"
#include "timefmt.h"
#include "util.h"

int
dm_terminal_columns(FILE *fp)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	long v;

	if (env != NULL && *env != '\0') {
		v = strtol(env, NULL, 10);
		if (v >= 20 && v <= 10000)
			return (int)v;
	}
	if (ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

void
dm_out_init(struct dm_out *o, FILE *fp, enum dm_out_mode mode,
    const char *format, int64_t max_number)
{
	int width = 1;

	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->mode = mode;
	o->format = format;
	if (mode == DM_OUT_TABLE && !isatty(fileno(fp)))
		o->mode = DM_OUT_TSV;
	while (max_number >= 10) {
		max_number /= 10;
		width++;
	}
	o->num_width = width;
	o->columns = dm_terminal_columns(fp);
}

void
dm_msg_flags(const struct dm_msg *m, char out[5])
{
	size_t n = 0;

	if (m->unread)
		out[n++] = 'N';
	if (m->natt > 0)
		out[n++] = 'A';
	if (m->priority >= DM_PRIO_HIGH)
		out[n++] = '!';
	if (m->replied)
		out[n++] = 'R';
	out[n] = '\0';
}

/* Writes the visible form of s fitted into exactly cols columns. */
static void
put_cell(FILE *fp, const char *s, size_t n, int cols, int pad)
{
	char *v = dm_text_visible(s, n, DM_TEXT_LINE);
	size_t fit;
	int width;

	if (v == NULL)
		return;
	fit = dm_text_fit(v, cols, &width);
	fwrite(v, 1, fit, fp);
	for (; pad && width < cols; width++)
		fputc(' ', fp);
	free(v);
}

static void
put_visible(FILE *fp, const char *s, size_t n)
{
	dm_text_put_line(fp, s, n);
}

/* Replaces the spaces of a stored list with commas. */
static char *
comma_list(const char *s)
{
	char *c = strdup(s), *p;

	if (c == NULL)
		return NULL;
	for (p = c; *p != '\0'; p++)
		if (*p == ' ')
			*p = ',';
	return c;
}

static void
table_line(struct dm_out *o, const struct dm_msg *m)
{
	char flags[5], date[32];
	int narrow = o->columns < 64, from_w = narrow ? 8 : 12, used;

	dm_msg_flags(m, flags);
	dm_time_short(date, m->date_ms);
	used = o->num_width + 1 + 4 + 1 + (narrow ? 11 : 16) + 1 + from_w + 1;

	fprintf(o->fp, "%*lld %-4s %s ", o->num_width, (long long)m->number,
	    flags, narrow ? date + 5 : date);
	put_cell(o->fp, m->from, strlen(m->from), from_w, 1);
	fputc(' ', o->fp);
	if (o->columns > used)
		put_cell(o->fp, m->subject, m->subject_len, o->columns - used, 0);
	fputc('\n', o->fp);
}

static void
tsv_line(struct dm_out *o, const struct dm_msg *m)
{
	char flags[5], date[32];

	dm_msg_flags(m, flags);
	fprintf(o->fp, "%lld\t%s\t%s\t", (long long)m->number,
	    flags[0] != '\0' ? flags : "-", dm_time_rfc3339(date, m->date_ms));
	put_visible(o->fp, m->from, strlen(m->from));
	fputc('\t', o->fp);
	put_visible(o->fp, m->subject, m->subject_len);
	fputc('\n', o->fp);
}

json_t *
dm_json_bytes(const char *s, size_t n)
{
	char *clean = dm_text_utf8_clean(s, n);
	json_t *j;

	if (clean == NULL)
		return NULL;
	j = json_string(clean);
	free(clean);
	return j;
}

static json_t *
json_list(const char *spaced)
{
	json_t *a = json_array();
	char *copy = strdup(spaced), *tok, *save = NULL;

	if (a == NULL || copy == NULL) {
		json_decref(a);
		free(copy);
		return NULL;
	}
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		json_array_append_new(a, dm_json_bytes(tok, strlen(tok)));
	free(copy);
	return a;
}

json_t *
dm_json_msg(const struct dm_msg *m)
{
	json_t *o = json_object(), *att = json_array();
	char date[32];
	int i;

	if (o == NULL || att == NULL) {
		json_decref(o);
		json_decref(att);
		return NULL;
	}
	json_object_set_new(o, "number", json_integer(m->number));
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "thread", json_string(m->thread));
	json_object_set_new(o, "from", dm_json_bytes(m->from, strlen(m->from)));
	json_object_set_new(o, "to", json_list(m->to));
	json_object_set_new(o, "date", json_string(dm_time_rfc3339(date,
	    m->date_ms)));
	json_object_set_new(o, "subject", dm_json_bytes(m->subject,
	    m->subject_len));
	json_object_set_new(o, "priority",
	    json_string(dm_priority_name(m->priority)));
	json_object_set_new(o, "tags", json_list(m->tags));
	json_object_set_new(o, "unread", json_boolean(m->unread));
	json_object_set_new(o, "archived", json_boolean(m->archived));
	for (i = 0; m->att != NULL && i < m->natt; i++) {
		json_t *a = json_object();

		json_object_set_new(a, "index", json_integer(m->att[i].index));
		json_object_set_new(a, "name", dm_json_bytes(m->att[i].name,
		    m->att[i].name_len));
		json_object_set_new(a, "type", json_string(m->att[i].type));
		json_object_set_new(a, "size", json_integer(m->att[i].size));
		json_array_append_new(att, a);
	}
	json_object_set_new(o, "attachments", att);
	json_object_set_new(o, "size", json_integer(m->size));
	return o;
}

int
dm_json_print(FILE *fp, json_t *o)
{
	char *s;

	if (o == NULL)
		return -1;
	s = json_dumps(o, JSON_COMPACT);
	if (s == NULL)
		return -1;
	fputs(s, fp);
	fputc('\n', fp);
	free(s);
	return 0;
}

/* Parses "%[-][width]X" at fmt[0] == '%'. Returns the length or 0. */
static size_t
directive(const char *fmt, int *left, int *width, char *conv)
{
	const char *p = fmt + 1;

	*left = 0;
	*width = 0;
	if (*p == '-') {
		*left = 1;
		p++;
	}
	while (*p >= '0' && *p <= '9') {
		if (*width > 1000)
			return 0;
		*width = *width * 10 + (*p++ - '0');
	}
	if (*p == '\0' || strchr("nidfTsFazpt%", *p) == NULL)
		return 0;
	*conv = *p;
	return (size_t)(p - fmt) + 1;
}

int
dm_format_check(const char *fmt, struct dm_err *e)
{
	int left, width;
	char conv;
	size_t n;

	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%')
			continue;
		n = directive(fmt, &left, &width, &conv);
		if (n == 0)
			return dm_err_set(e, DM_EX_USAGE,
			    "invalid format directive: %.*s: use %%n %%i %%d %%f "
			    "%%T %%s %%F %%a %%z %%p %%t or %%%%",
			    (int)strcspn(fmt + 1, "%") + 1, fmt);
		fmt += n - 1;
	}
	return 0;
}

/* The text of one directive for m, before padding. */
static char *
field(char conv, const struct dm_msg *m)
{
	char flags[5], date[32];

	switch (conv) {
	case 'n':
		return dm_strf("%lld", (long long)m->number);
	case 'i':
		return strdup(m->id);
	case 'd':
		return strdup(dm_time_rfc3339(date, m->date_ms));
	case 'f':
		return dm_text_visible(m->from, strlen(m->from), DM_TEXT_LINE);
	case 'T':
		return comma_list(m->to);
	case 's':
		return dm_text_visible(m->subject, m->subject_len, DM_TEXT_LINE);
	case 'F':
		dm_msg_flags(m, flags);
		return strdup(flags[0] != '\0' ? flags : "-");
	case 'a':
		return dm_strf("%d", m->natt);
	case 'z':
		return dm_strf("%lld", (long long)m->size);
	case 'p':
		return strdup(dm_priority_name(m->priority));
	case 't':
		return comma_list(m->tags);
	default:
		return strdup("%");
	}
}

char *
dm_format_expand(const char *fmt, const struct dm_msg *m)
{
	struct dm_buf b = {0};
	int left, width, w;
	char conv, *v;
	size_t n;

	for (; *fmt != '\0'; fmt++) {
		if (*fmt == '\\' && (fmt[1] == 't' || fmt[1] == 'n' ||
		    fmt[1] == '\\')) {
			dm_buf_addc(&b, fmt[1] == 't' ? '\t' : fmt[1] == 'n' ?
			    '\n' : '\\');
			fmt++;
			continue;
		}
		if (*fmt != '%' || (n = directive(fmt, &left, &width, &conv)) == 0) {
			dm_buf_addc(&b, *fmt);
			continue;
		}
		v = field(conv, m);
		if (v != NULL) {
			w = dm_text_width(v);
			for (; !left && w < width; w++)
				dm_buf_addc(&b, ' ');
			dm_buf_adds(&b, v);
			for (; left && w < width; w++)
				dm_buf_addc(&b, ' ');
			free(v);
		}
		fmt += n - 1;
	}
	if (b.oom) {
		dm_buf_free(&b);
		return NULL;
	}
	return dm_buf_take(&b);
}

int
dm_out_msg(struct dm_out *o, const struct dm_msg *m)
{
	char *line;

	switch (o->mode) {
	case DM_OUT_TABLE:
		table_line(o, m);
		break;
	case DM_OUT_TSV:
		tsv_line(o, m);
		break;
	case DM_OUT_JSON: {
		json_t *j = dm_json_msg(m);

		dm_json_print(o->fp, j);
		json_decref(j);
		break;
	}
	case DM_OUT_FORMAT:
		line = dm_format_expand(o->format, m);
		if (line != NULL) {
			fputs(line, o->fp);
			fputc('\n', o->fp);
		}
		free(line);
		break;
	case DM_OUT_NUL:
		fprintf(o->fp, "%lld", (long long)m->number);
		fputc('\0', o->fp);
		break;
	}
	return ferror(o->fp) ? DM_EX_IOERR : 0;
}

int
dm_out_thread(struct dm_out *o, const struct dm_thread *t)
{
	char date[32], *people = comma_list(t->participants);
	int used, narrow, people_w;

	if (people == NULL)
		return DM_EX_SOFTWARE;
	switch (o->mode) {
	case DM_OUT_JSON: {
		json_t *j = json_object();

		json_object_set_new(j, "thread", json_string(t->thread));
		json_object_set_new(j, "participants", json_list(t->participants));
		json_object_set_new(j, "messages", json_integer(t->messages));
		json_object_set_new(j, "unread", json_integer(t->unread));
		json_object_set_new(j, "last_number",
		    json_integer(t->last_number));
		json_object_set_new(j, "last_date", json_string(
		    dm_time_rfc3339(date, t->last_date_ms)));
		json_object_set_new(j, "last_subject",
		    dm_json_bytes(t->last_subject, t->last_subject_len));
		dm_json_print(o->fp, j);
		json_decref(j);
		break;
	}
	case DM_OUT_TABLE:
		/* Narrow terminals get short dates and names, as in table_line. */
		narrow = o->columns < 64;
		people_w = narrow ? 8 : 20;
		dm_time_short(date, t->last_date_ms);
		used = o->num_width + 1 + 4 + 1 + 4 + 1 + (narrow ? 11 : 16) + 1 +
		    people_w + 1;
		fprintf(o->fp, "%*lld %4ld %4ld %s ", o->num_width,
		    (long long)t->last_number, t->messages, t->unread,
		    narrow ? date + 5 : date);
		put_cell(o->fp, people, strlen(people), people_w, 1);
		fputc(' ', o->fp);
		if (o->columns > used)
			put_cell(o->fp, t->last_subject, t->last_subject_len,
			    o->columns - used, 0);
		fputc('\n', o->fp);
		break;
	default:
		fprintf(o->fp, "%lld\t", (long long)t->last_number);
		put_visible(o->fp, people, strlen(people));
		fprintf(o->fp, "\t%ld\t%ld\t%s\t", t->messages, t->unread,
		    dm_time_rfc3339(date, t->last_date_ms));
		put_visible(o->fp, t->last_subject, t->last_subject_len);
		fputc('\n', o->fp);
		break;
	}
	free(people);
	return ferror(o->fp) ? DM_EX_IOERR : 0;
}

void
dm_json_body_begin(struct dm_json_body *w, FILE *fp, int base64)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
	w->base64 = base64;
	fputs(base64 ? ",\"body_base64\":\"" : ",\"body\":\"", fp);
}

static void
put_base64(FILE *fp, const unsigned char *p, size_t n)
{
	char out[sodium_base64_ENCODED_LEN(3 * 1024,
	    sodium_base64_VARIANT_ORIGINAL)];
	size_t take;

	while (n > 0) {
		take = n > 3 * 1024 ? 3 * 1024 : n;
		sodium_bin2base64(out, sizeof(out), p, take,
		    sodium_base64_VARIANT_ORIGINAL);
		fputs(out, fp);
		p += take;
		n -= take;
	}
}

int
dm_json_body_sink(void *ctx, const void *buf, size_t n, struct dm_err *e)
{
	struct dm_json_body *w = ctx;
	const unsigned char *p = buf;
	size_t i, whole;

	if (w->base64) {
		/* Encode whole groups of three bytes; keep the rest. */
		while (w->ncarry > 0 && w->ncarry < 3 && n > 0) {
			w->carry[w->ncarry++] = *p++;
			n--;
		}
		if (w->ncarry == 3) {
			put_base64(w->fp, w->carry, 3);
			w->ncarry = 0;
		}
		whole = n - n % 3;
		put_base64(w->fp, p, whole);
		memcpy(w->carry, p + whole, n - whole);
		w->ncarry = n - whole;
	} else {
		for (i = 0; i < n; i++) {
			unsigned char c = p[i];

			if (c == '"' || c == '\\')
				fprintf(w->fp, "\\%c", c);
			else if (c == '\n')
				fputs("\\n", w->fp);
			else if (c == '\t')
				fputs("\\t", w->fp);
			else if (c == '\r')
				fputs("\\r", w->fp);
			else if (c < 0x20)
				fprintf(w->fp, "\\u%04x", c);
			else
				fputc(c, w->fp);
		}
	}
	if (ferror(w->fp))
		return dm_err_set(e, DM_EX_IOERR, "cannot write the body");
	return 0;
}

void
dm_json_body_end(struct dm_json_body *w)
{
	if (w->base64 && w->ncarry > 0)
		put_base64(w->fp, w->carry, w->ncarry);
	fputc('"', w->fp);
}
