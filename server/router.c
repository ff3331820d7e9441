/* router.c — finding a request's row in a route table (server/router.h). */
#include "server/router.h"

#include <string.h>
#include <strings.h>

/* The method's bit; 0 for one no row can answer. HEAD is GET's. */
static unsigned method_bit(const char *method)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"GET", RM_GET}, {"HEAD", RM_GET},    {"POST", RM_POST},
		     {"PUT", RM_PUT}, {"PATCH", RM_PATCH}, {"DELETE", RM_DELETE}};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(method, names[i].name) == 0)
			return names[i].bit;
	return 0;
}

/* What follows row's path in path, or NULL when path is not the row's. */
static const char *match(const struct route *row, const char *path)
{
	size_t n = strlen(row->path);
	int same =
	    row->nocase ? strncasecmp(path, row->path, n) == 0 : strncmp(path, row->path, n) == 0;

	if (!same)
		return NULL;
	if (row->prefix)
		return path + n;
	return path[n] == '\0' ? path + n : NULL;
}

const struct route *router_find(const struct route *table, size_t n, const char *path,
				const char *method, int ops, unsigned *allow, const char **label,
				const char **rest)
{
	unsigned bit = method_bit(method);

	*allow = 0;
	*label = "other";
	*rest = "";
	for (size_t i = 0; i < n; i++) {
		const struct route *row = &table[i];
		const char *r;
		/* the ops listener serves its own rows only, the public one never those */
		if (ops ? !(row->access == ACCESS_OPS || row->on_ops) : row->access == ACCESS_OPS)
			continue;
		if ((r = match(row, path)) == NULL)
			continue;
		if (*allow == 0)
			*label = row->label;
		if (row->methods & bit) {
			*label = row->label;
			*rest = r;
			return row;
		}
		*allow |= row->methods;
	}
	return NULL;
}

const char *router_allow(unsigned methods)
{
	/* thread-local: answers go out on several threads at once */
	static _Thread_local char buf[64];
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{RM_GET, "GET, HEAD"},
		     {RM_POST, "POST"},
		     {RM_PUT, "PUT"},
		     {RM_PATCH, "PATCH"},
		     {RM_DELETE, "DELETE"}};

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (methods & names[i].bit) {
			if (buf[0] != '\0')
				strcat(buf, ", ");
			strcat(buf, names[i].name);
		}
	return buf;
}
