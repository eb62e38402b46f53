/* fuzz-value - the value parsers of airsup.conf(5) over any string:
 * durations (never wrapping past the documented maximum), counts, signal
 * names, shell-like argv and environment lists, the resource limits, and
 * the "GROUP[i]" names the control socket takes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config/cfg.h"
#include "common/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = strndup((const char *) data, size);
        char **v = NULL;
        uint64_t u;
        unsigned n;
        int sig;

        if (!s)
                return 0;
        if (cfg_parse_duration(s, &u) == 0 && u > CFG_DURATION_MAX_USEC)
                abort();
        (void) cfg_parse_unsigned(s, 0, 1000, &n);
        if (cfg_parse_size(s, &u) == 0 && u > (UINT64_C(1) << 40))
                abort();
        (void) cfg_parse_signal(s, &sig);
        (void) cfg_parse_name(s);
        /* The limits: a share is within its documented range. */
        for (int k = 0; k < _CFG_LIMIT_MAX; k++) {
                cfg_limit l;
                if (cfg_parse_limit(k, s, &l) != 0)
                        continue;
                if (!l.set || (l.percent && (l.value == 0 || l.value > (k == CFG_LIMIT_CPU_MAX ? 10000000u : 10000u))))
                        abort();
                if (!l.infinity && !l.percent && l.value == 0)
                        abort();
        }
        {
                struct sockaddr_storage sa;
                socklen_t len;
                if (cfg_parse_listen(s, &sa, &len) == 0 && len > sizeof(sa))
                        abort();
        }
        {
                char group[96];
                unsigned idx;
                int k = cfg_parse_instance_name(s, group, sizeof(group), &idx);
                if (k >= 0 && (strlen(group) >= sizeof(group) || strncmp(group, s, strlen(group)) != 0))
                        abort();
        }
        if (cfg_split_argv(s, &v) == 0) {
                if (!v[0])
                        abort();
                strv_free(v);
        }
        v = NULL;
        if (cfg_parse_environment(s, &v) == 0) {
                for (char **e = v; *e; e++)
                        if (!strchr(*e, '='))
                                abort();
                strv_free(v);
        }
        return 0;
}
