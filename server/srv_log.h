/*
 * srv_log.h - leveled log lines on stderr.
 *
 * One line per call: "2024-11-24T19:15:00.123Z info  <message>".  Each line
 * goes out in one write(2), so lines from many threads never interleave.
 * Control characters in the message become '?' (request paths are logged
 * and must not forge lines).  Lines above the configured level are dropped.
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include <stdarg.h>

typedef enum srv_level {
    SRV_ERROR = 0,
    SRV_WARN = 1,
    SRV_INFO = 2,
    SRV_DEBUG = 3
} srv_level;

/* "error", "warn", "info", "debug": 0, or -1 for an unknown name. */
int srv_log_level_parse(const char *name, srv_level *out);
const char *srv_log_level_name(srv_level level);

/* Set once at start-up, before any thread logs. */
void srv_log_set_level(srv_level level);
int srv_log_enabled(srv_level level);

void srv_log(srv_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void srv_vlog(srv_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
