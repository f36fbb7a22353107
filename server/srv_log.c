#include "srv_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static srv_level current_level = SRV_INFO;

int srv_log_level_parse(const char *name, srv_level *out)
{
    int i;

    for (i = 0; i <= SRV_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (srv_level)i;
            return 0;
        }
    }
    return -1;
}

const char *srv_log_level_name(srv_level level)
{
    return level <= SRV_DEBUG ? level_names[level] : "?";
}

void srv_log_set_level(srv_level level)
{
    current_level = level;
}

int srv_log_enabled(srv_level level)
{
    return level <= current_level;
}

/* "2024-11-24T19:15:00.123Z" */
static size_t format_time(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
    return n;
}

void srv_vlog(srv_level level, const char *fmt, va_list ap)
{
    char line[2048];
    size_t n, start, i;
    int m;

    if (!srv_log_enabled(level))
        return;
    n = format_time(line, sizeof line);
    n += (size_t)snprintf(line + n, sizeof line - n, " %-5s ",
                          srv_log_level_name(level));
    start = n;
    m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    n += (size_t)m < sizeof line - n - 1 ? (size_t)m : sizeof line - n - 2;
    for (i = start; i < n; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    line[n++] = '\n';
    /* One write per line; a failing stderr has nowhere to report to. */
    if (write(STDERR_FILENO, line, n) < 0)
        return;
}

void srv_log(srv_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    srv_vlog(level, fmt, ap);
    va_end(ap);
}
