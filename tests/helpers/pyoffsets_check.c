/*
 * pyoffsets_check: compares prowl's compiled-in CPython offset table of one
 * minor version (profiler/capture/pyoffsets.c) with the DWARF of a libpython
 * built with debug info, field by field, using libdw.
 * Usage: pyoffsets_check [--print] LIBPYTHON 3.MINOR
 * Prints one line per field "name table dwarf"; exits 0 when all agree, 1 on
 * any mismatch, 2 when the library or its DWARF cannot be read (reason on
 * stderr). --print only prints the DWARF values as a C initializer.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/capture/pyoffsets.h"

/* One field of struct py_offsets and, for a range of minor versions, the
 * DWARF path it comes from: "Type.member.member" or "sizeof:Type". Types are
 * struct tags or typedef names. */
struct spec {
	const char *field;
	size_t off;
	int min, max;
	const char *path;
};

#define F(name) #name, offsetof(struct py_offsets, name)
static const struct spec specs[] = {
	{ F(rt_interp_head), 7, 13, "_PyRuntimeState.interpreters.head" },
	{ F(rt_gil_tstate), 7, 11, "_PyRuntimeState.gilstate.tstate_current" },
	{ F(is_next), 6, 13, "_is.next" },
	{ F(is_tstate_head), 6, 10, "_is.tstate_head" },
	{ F(is_tstate_head), 11, 13, "_is.threads.head" },
	{ F(is_gil_ptr), 12, 13, "_is.ceval.gil" },
	{ F(gil_locked), 12, 13, "_gil_runtime_state.locked" },
	{ F(gil_holder), 12, 13, "_gil_runtime_state.last_holder" },
	{ F(ts_next), 6, 13, "_ts.next" },
	{ F(ts_frame), 6, 10, "_ts.frame" },
	{ F(ts_frame), 11, 12, "_ts.cframe" },
	{ F(ts_frame), 13, 13, "_ts.current_frame" },
	{ F(cf_current_frame), 11, 12, "_PyCFrame.current_frame" },
	{ F(ts_thread_id), 6, 13, "_ts.thread_id" },
	{ F(ts_native_thread_id), 11, 13, "_ts.native_thread_id" },
	{ F(fr_previous), 6, 10, "_frame.f_back" },
	{ F(fr_previous), 11, 13, "_PyInterpreterFrame.previous" },
	{ F(fr_code), 6, 10, "_frame.f_code" },
	{ F(fr_code), 11, 12, "_PyInterpreterFrame.f_code" },
	{ F(fr_code), 13, 13, "_PyInterpreterFrame.f_executable" },
	{ F(fr_lasti), 6, 10, "_frame.f_lasti" },
	{ F(fr_lasti), 11, 12, "_PyInterpreterFrame.prev_instr" },
	{ F(fr_lasti), 13, 13, "_PyInterpreterFrame.instr_ptr" },
	{ F(fr_is_entry), 11, 11, "_PyInterpreterFrame.is_entry" },
	{ F(fr_owner), 11, 13, "_PyInterpreterFrame.owner" },
	{ F(co_filename), 6, 13, "PyCodeObject.co_filename" },
	{ F(co_name), 6, 13, "PyCodeObject.co_name" },
	{ F(co_qualname), 11, 13, "PyCodeObject.co_qualname" },
	{ F(co_firstlineno), 6, 13, "PyCodeObject.co_firstlineno" },
	{ F(co_linetable), 6, 9, "PyCodeObject.co_lnotab" },
	{ F(co_linetable), 10, 13, "PyCodeObject.co_linetable" },
	{ F(co_code_adaptive), 11, 13, "PyCodeObject.co_code_adaptive" },
	{ F(co_firsttraceable), 11, 13, "PyCodeObject._co_firsttraceable" },
	{ F(uni_length), 6, 13, "PyASCIIObject.length" },
	{ F(uni_state), 6, 13, "PyASCIIObject.state" },
	{ F(uni_ascii_size), 6, 13, "sizeof:PyASCIIObject" },
	{ F(uni_compact_size), 6, 13, "sizeof:PyCompactUnicodeObject" },
	{ F(bytes_size), 6, 13, "PyBytesObject.ob_base.ob_size" },
	{ F(bytes_sval), 6, 13, "PyBytesObject.ob_sval" },
	{ F(ob_type), 6, 13, "_object.ob_type" },
	{ F(rt_gil), 7, 11, "_PyRuntimeState.ceval.gil" },
	{ F(gil_size), 7, 13, "sizeof:_gil_runtime_state" },
	{ F(is_modules), 6, 11, "_is.modules" },
	{ F(is_modules), 12, 13, "_is.imports.modules" },
	{ F(ht_cached_keys), 6, 13, "_heaptypeobject.ht_cached_keys" },
};
static const char *const all_fields[] = {
	"rt_interp_head", "rt_gil_tstate", "is_next", "is_tstate_head", "is_gil_ptr", "gil_locked",
	"gil_holder", "ts_next", "ts_frame", "cf_current_frame", "ts_thread_id", "ts_native_thread_id",
	"fr_previous", "fr_code", "fr_lasti", "fr_is_entry", "fr_owner", "co_filename", "co_name",
	"co_qualname", "co_firstlineno", "co_linetable", "co_code_adaptive", "co_firsttraceable",
	"uni_length", "uni_state", "uni_ascii_size", "uni_compact_size", "bytes_size", "bytes_sval",
	"ob_type", "rt_gil", "gil_size", "is_modules", "ht_cached_keys",
};

static Dwarf *dw;

static int peel(Dwarf_Die *d, Dwarf_Die *out)
{
	Dwarf_Die cur = *d;
	for (int i = 0; i < 16; i++) {
		int tag = dwarf_tag(&cur);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_atomic_type) {
			*out = cur;
			return 0;
		}
		Dwarf_Attribute a;
		if (!dwarf_attr(&cur, DW_AT_type, &a) || !dwarf_formref_die(&a, &cur))
			return -1;
	}
	return -1;
}

/* A complete struct or union named name (tag or typedef), peeled. */
static int find_type(const char *name, Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;
		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &child) == 0) {
			do {
				int tag = dwarf_tag(&child);
				const char *n = dwarf_diename(&child);
				if (!n || strcmp(n, name) != 0)
					continue;
				if (tag == DW_TAG_typedef) {
					Dwarf_Die t;
					if (peel(&child, &t) == 0 && !dwarf_hasattr(&t, DW_AT_declaration) &&
					    dwarf_hasattr(&t, DW_AT_byte_size)) {
						*out = t;
						return 0;
					}
				} else if ((tag == DW_TAG_structure_type || tag == DW_TAG_union_type) &&
					   !dwarf_hasattr(&child, DW_AT_declaration)) {
					*out = child;
					return 0;
				}
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
	return -1;
}

/* Offset of member name in struct st (anonymous members searched through);
 * its peeled type in *type. */
static long find_member(Dwarf_Die *st, const char *name, Dwarf_Die *type)
{
	Dwarf_Die m;
	if (dwarf_child(st, &m) != 0)
		return -1;
	do {
		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		Dwarf_Word loc = 0;
		Dwarf_Attribute a;
		if (dwarf_attr(&m, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &loc) != 0)
			continue;
		Dwarf_Die t, pt;
		if (!dwarf_attr(&m, DW_AT_type, &a) || !dwarf_formref_die(&a, &t) || peel(&t, &pt) != 0)
			continue;
		const char *n = dwarf_diename(&m);
		if (n && strcmp(n, name) == 0) {
			*type = pt;
			return (long)loc;
		}
		if (!n) {
			long sub = find_member(&pt, name, type);
			if (sub >= 0)
				return (long)loc + sub;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return -1;
}

static long resolve(const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	Dwarf_Die t;
	if (strncmp(buf, "sizeof:", 7) == 0) {
		Dwarf_Word sz;
		Dwarf_Attribute a;
		if (find_type(buf + 7, &t) != 0 || !dwarf_attr(&t, DW_AT_byte_size, &a) ||
		    dwarf_formudata(&a, &sz) != 0)
			return -1;
		return (long)sz;
	}
	char *save = NULL, *tok = strtok_r(buf, ".", &save);
	if (!tok || find_type(tok, &t) != 0)
		return -1;
	long total = 0;
	int n = 0;
	while ((tok = strtok_r(NULL, ".", &save))) {
		Dwarf_Die mt;
		long o = find_member(&t, tok, &mt);
		if (o < 0)
			return -1;
		total += o;
		t = mt;
		n++;
	}
	return n ? total : -1;
}

int main(int argc, char **argv)
{
	int print = 0;
	if (argc > 1 && strcmp(argv[1], "--print") == 0) {
		print = 1;
		argv++;
		argc--;
	}
	int major, minor;
	if (argc != 3 || sscanf(argv[2], "%d.%d", &major, &minor) != 2) {
		fprintf(stderr, "usage: pyoffsets_check [--print] LIBPYTHON 3.MINOR\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0 || !(dw = dwarf_begin(fd, DWARF_C_READ))) {
		fprintf(stderr, "pyoffsets_check: %s has no readable DWARF\n", argv[1]);
		return 2;
	}
	const struct py_offsets *tab = print ? NULL : pyoffsets_table(major, minor);
	if (!print && !tab) {
		fprintf(stderr, "pyoffsets_check: prowl has no table for %d.%d\n", major, minor);
		return 1;
	}
	int bad = 0, checked = 0;
	for (size_t f = 0; f < sizeof(all_fields) / sizeof(all_fields[0]); f++) {
		const struct spec *s = NULL;
		size_t foff = 0;
		for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
			if (strcmp(specs[i].field, all_fields[f]) != 0)
				continue;
			foff = specs[i].off;
			if (major == 3 && minor >= specs[i].min && minor <= specs[i].max)
				s = &specs[i];
		}
		long want = s ? resolve(s->path) : PYOFF_NONE;
		if (s && want < 0) {
			fprintf(stderr, "pyoffsets_check: %s not found in the DWARF of %s\n", s->path, argv[1]);
			bad++;
			continue;
		}
		if (print) {
			printf("\t.%s = %ld,\n", all_fields[f], want);
			continue;
		}
		int32_t have;
		memcpy(&have, (const char *)tab + foff, sizeof(have));
		int ok = have == want;
		printf("%-20s %5d %5ld %s%s%s\n", all_fields[f], have, want, ok ? "ok" : "MISMATCH",
		       s ? " " : "", s ? s->path : "");
		bad += !ok;
		checked += s != NULL;
	}
	if (!print)
		printf("%d fields checked against DWARF, %d wrong\n", checked, bad);
	dwarf_end(dw);
	close(fd);
	return bad ? 1 : 0;
}
