/* Internals of the config loader.
 *
 * The loader runs in four steps:
 *   source.c  read a file, expand @include relative to the including file,
 *             keep a map from the combined text's lines back to FILE:LINE;
 *   syntax.c  check the combined text against libconfig's grammar and the
 *             bounds of one load, so that libconfig only parses what it
 *             accepts;
 *   parse.c   the only libconfig user: combined text -> a tree of cnodes;
 *   service.c, service-exec.c, sections.c, group.c
 *             validate cnodes into the model, reporting every error;
 *   load.c    files and directories, merging, names, `after`, entrypoint.
 * values.c and tables.c hold the pure value parsers they share. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "model.h"

/* ---- the parsed tree, independent of libconfig ---- */

enum cnode_type { CNODE_INT, CNODE_FLOAT, CNODE_BOOL, CNODE_STRING, CNODE_GROUP, CNODE_ARRAY, CNODE_LIST };

struct cnode {
        char *name; /* key inside a group; NULL for array and list elements */
        enum cnode_type type;
        struct loc loc;
        long long i;
        double f;
        bool b;
        char *s;
        struct cnode *v; /* children of groups, arrays and lists */
        size_t n;
};

void cfg_node_free(struct cnode *n);
/* "an integer", "a string", ... for messages. */
const char *cfg_node_type_name(enum cnode_type t);
/* The child called key of a group, or NULL. */
const struct cnode *cfg_node_child(const struct cnode *group, const char *key);

/* ---- source.c: files and @include ---- */

struct src_seg {
        unsigned start; /* first line of the combined text in this segment */
        const char *file;
        int first_line; /* its line number in file */
};

struct source {
        char *text;
        size_t len, cap;
        unsigned lines; /* lines in text so far */
        struct src_seg *segs;
        size_t n_segs, cap_segs;
};

/* Interned file names: every file read, later model->files. */
struct file_list {
        char **v;
        size_t n, cap;
};
const char *cfg_file_list_add(struct file_list *l, const char *path);
void cfg_file_list_free(struct file_list *l);

/* Read path (a regular file of at most CORRAL_MAX_FILE_SIZE bytes) into s,
 * replacing each `@include "x"` line by the expanded text of x, resolved
 * relative to the directory of the file that names it, within the bounds
 * of config.h; st counts what is read, across the calls of one load.
 * Errors go to d.  Returns 0; -ENOENT when path itself does not exist
 * (nothing added to d); -EINVAL after adding errors; -E2BIG after adding
 * the error of a bound of the whole load (CONFIG_MAX_TOTAL_SIZE,
 * CONFIG_MAX_INCLUDES), when the load must stop; -ENOMEM. */
int cfg_source_load(struct source *s, const char *path, struct file_list *files, struct config_stats *st,
                    struct diags *d);
/* Map a line of the combined text back to FILE:LINE. */
struct loc cfg_source_locate(const struct source *s, unsigned line);
void cfg_source_free(struct source *s);

/* ---- syntax.c ---- */

/* Check the combined text of s against libconfig 1.5's grammar, and the
 * bounds CONFIG_MAX_NESTING and CONFIG_MAX_GROUP_SIZE, before libconfig
 * parses it: libconfig then accepts it, so it never fails with the leak of
 * its lexer, and no group is large enough for its quadratic name lookup to
 * matter.  Returns 0 with the number of settings and array or list elements
 * in *ret_values; -EINVAL after adding the first error to d; -E2BIG after
 * adding one when there are more than max_values of them; -ENOMEM. */
int cfg_syntax_check(const struct source *s, size_t max_values, size_t *ret_values, struct diags *d);

/* ---- parse.c ---- */

/* Parse the combined text of s.  Returns 0 and a CNODE_GROUP root in
 * *ret; -EINVAL after adding a syntax error to d; -ENOMEM. */
int cfg_parse_source(const struct source *s, struct cnode *ret, struct diags *d);

/* ---- validation context and typed getters (values.c) ---- */

struct vctx {
        struct diags *d;
        const char *what;    /* "service \"db\"", "group \"pod\"", "settings" */
        const char *section; /* "ready", "namespaces", ... or NULL */
        bool failed;         /* an error was reported through this context */
};

/* Report "FILE:LINE: WHAT: SECTION.KEY: message" at n.  key NULL: n->name. */
void cfg_err(struct vctx *c, const struct cnode *n, const char *key, const char *fmt, ...) _printf_(4, 5);

bool cfg_get_bool(struct vctx *c, const struct cnode *n, bool *ret);
/* A string of at most CORRAL_MAX_STRING bytes, copied. */
bool cfg_get_string(struct vctx *c, const struct cnode *n, char **ret);
/* A string holding an absolute path. */
bool cfg_get_path(struct vctx *c, const struct cnode *n, char **ret);
/* An integer in [min, max]. */
bool cfg_get_int(struct vctx *c, const struct cnode *n, long long min, long long max, long long *ret);
bool cfg_get_u32(struct vctx *c, const struct cnode *n, uint32_t min, uint32_t *ret);
/* A non-empty array or list of at most max strings, NULL-terminated. */
bool cfg_get_strv(struct vctx *c, const struct cnode *n, size_t max, char ***ret, size_t *ret_n);
bool cfg_expect(struct vctx *c, const struct cnode *n, enum cnode_type t);

struct key_rule {
        const char *key;
        void (*fn)(struct vctx *c, const struct cnode *n, void *obj);
};
/* Call the rule of each child of group; "unknown key" for the others. */
void cfg_dispatch(struct vctx *c, const struct cnode *group, const struct key_rule *rules, size_t n_rules, void *obj);

/* ---- pure value parsers (values.c, tables.c) ---- */

/* [A-Za-z0-9_.-]{1,64} */
bool cfg_name_valid(const char *s);
/* a/b/c, each part a name, none "." or "..", no leading or trailing "/". */
bool cfg_cgroup_path_valid(const char *s);
/* [A-Za-z_][A-Za-z0-9_]* */
bool cfg_env_key_valid(const char *s);
bool cfg_hostname_valid(const char *s);
/* "HOST:PORT", "[V6]:PORT"; port 1..65535. */
bool cfg_tcp_address_valid(const char *s);
/* "INSIDE OUTSIDE COUNT" */
bool cfg_id_map_valid(const char *s);

/* A byte count: digits with an optional K, M, G or T suffix (powers of
 * 1024), or "max".  *ret is the canonical decimal string or "max".
 * -EINVAL: not a size; -ERANGE: too large. */
int cfg_parse_size(const char *s, char **ret);
/* "max", "max PERIOD", "QUOTA" or "QUOTA PERIOD" (microseconds; quota >=
 * 1000, period 1000..1000000).  Canonical "QUOTA PERIOD" or "max PERIOD"
 * or "max". */
int cfg_parse_cpu_max(const char *s, char **ret);
/* "0-3,5,7-8": ascending or not, each range lo <= hi, CPUs < 8192. */
int cfg_parse_cpuset(const char *s, char **ret);

int cfg_service_type(const char *s);
int cfg_notify_access(const char *s);
int cfg_restart_policy(const char *s);
/* "console", "inherit", "null" or "file:/abs/path" (*ret_file set). */
int cfg_output_mode(const char *s, char **ret_file);

/* RLIMIT_* of "nofile", "core", ...; -EINVAL when unknown. */
int cfg_rlimit_from_name(const char *s);
/* Capability number of "CAP_NET_ADMIN" (any case); -EINVAL when unknown. */
int cfg_capability_from_name(const char *s);
#define CAPABILITY_MAX 40

/* ---- name index (index.c): name -> position, O(1) expected ---- */

struct name_index {
        const char **keys;
        size_t *vals;
        size_t cap, n;
};
/* Insert name -> val.  Returns 0, -EEXIST with *ret_old set when the
 * name is present already, -ENOMEM.  The key is borrowed, not copied. */
int cfg_index_put(struct name_index *x, const char *name, size_t val, size_t *ret_old);
/* 0 and *ret_val, or -ENOENT. */
int cfg_index_get(const struct name_index *x, const char *name, size_t *ret_val);
void cfg_index_free(struct name_index *x);

/* ---- validation of the model's parts ---- */

/* Fill s from a service group; n_th is its 1-based position for messages
 * when it has no usable name. */
void cfg_service_from_cnode(const struct cnode *n, size_t n_th, struct service *s, struct diags *d);
void cfg_group_from_cnode(const struct cnode *n, size_t n_th, struct group_decl *g, struct diags *d);
void cfg_settings_from_cnode(const struct cnode *n, struct settings *s, struct diags *d);

/* Keys of service-exec.c and sections.c, called by service.c's table. */
void cfg_svc_command(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_user(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_group(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_env(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_output(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_rlimits(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_capabilities(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_ready(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_health(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_cgroup(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_namespaces(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_root(struct vctx *c, const struct cnode *n, void *obj);
void cfg_svc_binds(struct vctx *c, const struct cnode *n, void *obj);
/* Checks needing several keys, once all keys are read: user and group
 * lookups, command resolution (unless inside a root). */
void cfg_service_exec_finish(struct vctx *c, const struct cnode *n, struct service *s);

/* A cgroup limit key (memory_max, ...) into l; false when key is none. */
bool cfg_limit_from_cnode(struct vctx *c, const struct cnode *n, struct cg_limits *l);
/* Namespaces group; group_only restricts to net, ipc, uts, hostname. */
void cfg_ns_from_cnode(struct vctx *c, const struct cnode *n, struct ns_decl *ns, bool group_only);

/* Resolve a command name in PATH (or a default PATH).  Returns 0 and a
 * malloc'd absolute path, -ENOENT, -ENOMEM. */
int cfg_path_lookup(const char *name, const char *path_env, char **ret);
