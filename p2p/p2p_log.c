/*
 * p2p_log.c - the P2P parts' log line (see p2p_log.h).
 */
#include "p2p_log.h"

#include <stdarg.h>
#include <stdio.h>

void p2p_logf(p2p_log_fn fn, void *ctx, p2p_log_level level,
              const char *fmt, ...)
{
    char line[P2P_LOG_LINE_MAX];
    va_list ap;

    if (fn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fn(ctx, level, line);
}
