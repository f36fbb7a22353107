/*
 * st_fsio.c - data directory file operations (see st_fsio.h).
 */
#include "st_fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "am_error.h"

int st_fs_check_name(const char *name, char *why, size_t why_len)
{
    size_t n = strlen(name);

    if (n == 0 || n > ST_FS_NAME_MAX) {
        snprintf(why, why_len, "a file name has 1 to %d bytes",
                 ST_FS_NAME_MAX);
        return AM_ERR_INVAL;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        strchr(name, '/') != NULL) {
        snprintf(why, why_len, "only a file name inside the data directory "
                               "is accepted, not a path");
        return AM_ERR_INVAL;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
            snprintf(why, why_len, "a file name has no control characters");
            return AM_ERR_INVAL;
        }
    return AM_OK;
}

/* Open a symlink of the directory when it resolves inside it. */
static int open_link(const char *dir_real, const char *name, char *why,
                     size_t why_len, int *fd)
{
    char path[PATH_MAX], real[PATH_MAX];
    size_t dl = strlen(dir_real);

    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir_real, name) >=
        sizeof path) {
        snprintf(why, why_len, "%s: path too long", name);
        return AM_ERR_INVAL;
    }
    if (realpath(path, real) == NULL) {
        snprintf(why, why_len, "%s: %s", name, strerror(errno));
        return errno == ENOENT ? AM_ERR_NOTFOUND : AM_ERR_IO;
    }
    if (strncmp(real, dir_real, dl) != 0 || real[dl] != '/') {
        snprintf(why, why_len, "%s: a link leading out of the data directory",
                 name);
        return AM_ERR_INVAL;
    }
    *fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (*fd < 0) {
        snprintf(why, why_len, "%s: %s", name, strerror(errno));
        return AM_ERR_IO;
    }
    return AM_OK;
}

static int open_inside(int dirfd, const char *dir_real, const char *name,
                       char *why, size_t why_len, int *fd)
{
    struct stat st;
    int rc = st_fs_check_name(name, why, why_len);

    if (rc != AM_OK)
        return rc;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        snprintf(why, why_len, "%s: %s", name, strerror(errno));
        return errno == ENOENT ? AM_ERR_NOTFOUND : AM_ERR_IO;
    }
    if (S_ISLNK(st.st_mode))
        return open_link(dir_real, name, why, why_len, fd);
    /* O_NONBLOCK: a FIFO planted under the name must not hang us. */
    *fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (*fd < 0) {
        snprintf(why, why_len, "%s: %s", name, strerror(errno));
        return AM_ERR_IO;
    }
    return AM_OK;
}

static int read_all(int fd, char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Open name and check it is a regular file of at most max bytes. */
static int open_regular(int dirfd, const char *dir_real, const char *name,
                        size_t max, int *fd, size_t *size, char *why,
                        size_t why_len)
{
    struct stat st;
    int rc = open_inside(dirfd, dir_real, name, why, why_len, fd);

    if (rc != AM_OK)
        return rc;
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, why_len, "%s: not a regular file", name);
        close(*fd);
        return AM_ERR_IO;
    }
    if ((uint64_t)st.st_size > (uint64_t)max) {
        snprintf(why, why_len, "%s: larger than %zu bytes", name, max);
        close(*fd);
        return AM_ERR_TOOMANY;
    }
    *size = (size_t)st.st_size;
    return AM_OK;
}

int st_fs_map(int dirfd, const char *dir_real, const char *name, size_t max,
               const char **out, size_t *len, char *why, size_t why_len)
{
    int fd = -1;
    void *p;
    int rc = open_regular(dirfd, dir_real, name, max, &fd, len, why,
                          why_len);

    *out = NULL;
    if (rc != AM_OK)
        return rc;
    if (*len == 0) {            /* mmap cannot map nothing */
        close(fd);
        *out = "";
        return AM_OK;
    }
    /* Populated at once: one call rather than a fault per page. */
    p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(why, why_len, "%s: %s", name, strerror(errno));
        return errno == ENOMEM ? AM_ERR_NOMEM : AM_ERR_IO;
    }
    *out = p;
    return AM_OK;
}

void st_fs_unmap(const char *data, size_t len)
{
    if (data != NULL && len > 0)
        munmap((void *)data, len);
}

int st_fs_read(int dirfd, const char *dir_real, const char *name,
                size_t max, char **out, size_t *len, char *why,
                size_t why_len)
{
    int fd = -1, rc;
    char *buf;

    *out = NULL;
    *len = 0;
    rc = open_regular(dirfd, dir_real, name, max, &fd, len, why, why_len);
    if (rc != AM_OK) {
        *len = 0;
        return rc;
    }
    buf = malloc(*len + 1);
    if (buf == NULL) {
        snprintf(why, why_len, "%s: out of memory", name);
        close(fd);
        *len = 0;
        return AM_ERR_NOMEM;
    }
    if (read_all(fd, buf, *len) != 0) {
        snprintf(why, why_len, "%s: read failed (%s)", name,
                 errno ? strerror(errno) : "file shrank");
        free(buf);
        close(fd);
        *len = 0;
        return AM_ERR_IO;
    }
    close(fd);
    buf[*len] = '\0';
    *out = buf;
    return AM_OK;
}

int st_fs_sync_dir(int dirfd)
{
    return fsync(dirfd) == 0 ? AM_OK : AM_ERR_IO;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int st_fs_write_atomic(int dirfd, const char *name, const void *data,
                        size_t len, char *why, size_t why_len)
{
    static atomic_uint seq;
    char tmp[ST_FS_NAME_MAX + 64];
    const char *step;
    int fd, err;

    snprintf(tmp, sizeof tmp, ".%s.tmp-%ld-%u", name, (long)getpid(),
             atomic_fetch_add(&seq, 1u));
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        step = "create";
        goto fail;
    }
    step = "write";
    if (write_all(fd, data, len) != 0)
        goto fail_file;
    step = "fsync";
    if (fsync(fd) != 0)
        goto fail_file;
    step = "close";
    if (close(fd) != 0) {
        fd = -1;
        goto fail_file;
    }
    fd = -1;
    step = "rename";
    if (renameat(dirfd, tmp, dirfd, name) != 0)
        goto fail_file;
    step = "fsync the directory for";
    if (fsync(dirfd) != 0)
        goto fail;
    return AM_OK;
fail_file:
    err = errno;
    if (fd >= 0)
        close(fd);
    unlinkat(dirfd, tmp, 0);
    errno = err;
fail:
    snprintf(why, why_len, "cannot %s %s: %s", step, name, strerror(errno));
    return AM_ERR_IO;
}

int st_fs_set_aside(int dirfd, const char *name, int64_t now, char *aside,
                     size_t aside_len, char *why, size_t why_len)
{
    struct stat st;

    for (int n = 0; n < 1000; n++) {
        if (n == 0)
            snprintf(aside, aside_len, "%s.corrupt-%lld", name,
                     (long long)now);
        else
            snprintf(aside, aside_len, "%s.corrupt-%lld-%d", name,
                     (long long)now, n);
        if (fstatat(dirfd, aside, &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        if (errno != ENOENT)
            break;
        /* The directory is locked by us: nobody else takes the name in
         * between. */
        if (renameat(dirfd, name, dirfd, aside) != 0)
            break;
        fsync(dirfd);
        return AM_OK;
    }
    snprintf(why, why_len, "cannot rename %s aside: %s", name,
             strerror(errno));
    return AM_ERR_IO;
}
