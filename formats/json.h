/*
 * json: a small reader of JSON text into a tree, for the speedscope reader.
 * The input is untrusted: nesting is limited and every error is returned
 * (NULL from json_parse). json_free releases the whole tree.
 */
#ifndef PROWL_JSON_H
#define PROWL_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	double number;        /* JSON_NUMBER, JSON_BOOL (0 or 1) */
	char *string;         /* JSON_STRING (NUL-terminated, UTF-8) */
	struct json **items;  /* JSON_ARRAY values, JSON_OBJECT values */
	char **keys;          /* JSON_OBJECT keys */
	size_t n;
};

struct json *json_parse(const char *text, size_t len);
void json_free(struct json *j);
/* The member key of an object, or NULL (also when j is not an object). */
const struct json *json_get(const struct json *j, const char *key);

#endif
