/* The one file that uses libconfig: parse the combined text of a source
 * and copy it into a tree of cnodes, each with its FILE:LINE. */
#include <libconfig.h>

#include "config-internal.h"

static int convert(const struct source *src, config_setting_t *cs, struct cnode *ret);

static int convert_children(const struct source *src, config_setting_t *cs, struct cnode *n) {
        int len = config_setting_length(cs);
        if (len <= 0)
                return 0;
        n->v = calloc((size_t)len, sizeof *n->v);
        if (!n->v)
                return -ENOMEM;
        for (int i = 0; i < len; i++) {
                int r = convert(src, config_setting_get_elem(cs, (unsigned)i), &n->v[i]);
                if (r < 0)
                        return r;
                n->n++;
        }
        return 0;
}

static int convert(const struct source *src, config_setting_t *cs, struct cnode *ret) {
        struct cnode n = { .loc = cfg_source_locate(src, config_setting_source_line(cs)) };
        const char *name = config_setting_name(cs);
        int r = 0;
        if (name && !(n.name = strdup(name)))
                return -ENOMEM;
        switch (config_setting_type(cs)) {
        case CONFIG_TYPE_INT:
                n.type = CNODE_INT;
                n.i = config_setting_get_int(cs);
                break;
        case CONFIG_TYPE_INT64:
                n.type = CNODE_INT;
                n.i = config_setting_get_int64(cs);
                break;
        case CONFIG_TYPE_FLOAT:
                n.type = CNODE_FLOAT;
                n.f = config_setting_get_float(cs);
                break;
        case CONFIG_TYPE_BOOL:
                n.type = CNODE_BOOL;
                n.b = config_setting_get_bool(cs);
                break;
        case CONFIG_TYPE_STRING:
                n.type = CNODE_STRING;
                if (!(n.s = strdup(config_setting_get_string(cs))))
                        r = -ENOMEM;
                break;
        case CONFIG_TYPE_GROUP:
        case CONFIG_TYPE_ARRAY:
        case CONFIG_TYPE_LIST:
                n.type = config_setting_is_group(cs) ? CNODE_GROUP
                         : config_setting_is_array(cs) ? CNODE_ARRAY
                                                       : CNODE_LIST;
                r = convert_children(src, cs, &n);
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0) {
                cfg_node_free(&n);
                return r;
        }
        *ret = n;
        return 0;
}

int cfg_parse_source(const struct source *s, struct cnode *ret, struct diags *d) {
        config_t cfg;
        config_init(&cfg);
        if (!config_read_string(&cfg, s->text)) {
                struct loc at = cfg_source_locate(s, (unsigned)config_error_line(&cfg));
                diag_add(d, at.file, at.line, "%s", config_error_text(&cfg));
                config_destroy(&cfg);
                return -EINVAL;
        }
        struct cnode root = { 0 };
        int r = convert(s, config_root_setting(&cfg), &root);
        config_destroy(&cfg);
        if (r < 0) {
                cfg_node_free(&root);
                return r;
        }
        root.type = CNODE_GROUP;
        *ret = root;
        return 0;
}
