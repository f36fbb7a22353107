/*
 * st_fsio.h - file operations of the data directory.
 *
 * Everything works on names inside one directory, given as an open
 * directory fd plus its resolved path (realpath): a name is one path
 * component, never a path, so nothing outside the directory can be reached
 * through it; a symlink is followed only when it resolves inside the
 * directory.
 *
 * Writes are atomic: the data goes to a temporary file in the same
 * directory, which is fsync'ed, renamed over the name, and the directory is
 * fsync'ed; a reader sees the old file or the new one, whole, even across
 * a power cut.  A file that could not be read is renamed aside to
 * "<name>.corrupt-<unix time>" (a "-<n>" suffix when that exists), never
 * overwritten.
 *
 * No locks: these are plain system calls.
 */
#ifndef ST_FSIO_H
#define ST_FSIO_H

#include <stddef.h>
#include <stdint.h>

#define ST_FS_NAME_MAX 255

/*
 * A file name the API may be asked to load: 1..255 bytes, no '/', not "."
 * or "..", no control characters.  AM_OK or AM_ERR_INVAL with why.
 */
int st_fs_check_name(const char *name, char *why, size_t why_len);

/*
 * Read a whole regular file of the directory (at most max bytes; the
 * result is NUL-terminated, free() it).  AM_OK; AM_ERR_NOTFOUND when it
 * does not exist; AM_ERR_INVAL (bad name, a symlink leading out);
 * AM_ERR_TOOMANY when larger than max; AM_ERR_IO otherwise (a directory,
 * no permission...).  why gets a sentence for every error.
 */
int st_fs_read(int dirfd, const char *dir_real, const char *name,
                size_t max, char **out, size_t *len, char *why,
                size_t why_len);

/*
 * st_fs_read's rules and codes, but the file is mapped read-only rather
 * than copied (a large peers.json loads faster; *out is not NUL-terminated).
 * Release with st_fs_unmap(*out, *len).
 */
int st_fs_map(int dirfd, const char *dir_real, const char *name, size_t max,
               const char **out, size_t *len, char *why, size_t why_len);
void st_fs_unmap(const char *data, size_t len);

/* Replace `name` atomically with data[0..len), a file of mode 0600 (the
 * pool is private).  AM_OK or AM_ERR_IO (why). */
int st_fs_write_atomic(int dirfd, const char *name, const void *data,
                        size_t len, char *why, size_t why_len);

/*
 * Rename `name` to "<name>.corrupt-<now>[-n]" (a free name); the new name
 * goes to aside.  AM_OK or AM_ERR_IO (why).
 */
int st_fs_set_aside(int dirfd, const char *name, int64_t now, char *aside,
                     size_t aside_len, char *why, size_t why_len);

/* fsync the directory itself (after renames and creations).  AM_OK or
 * AM_ERR_IO. */
int st_fs_sync_dir(int dirfd);

#endif
