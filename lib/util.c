// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * util.c - small helpers: files, directories, numbers, randomness.
 */
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "base.h"

const char *mvl_strerror(int err, char *buf, size_t len)
{
	if (err < 0)
		err = -err;
	/* GNU strerror_r returns the message, not always in buf */
	return strerror_r(err, buf, len);
}

int mvl_read_file(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (len == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
	return (int)n;
}

int mvl_write_file(const char *path, const char *value)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int mvl_parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*ret = v;
	return 0;
}

int mvl_random_bytes(void *buf, size_t len)
{
	ssize_t n = getrandom(buf, len, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int mkdir_one(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

int mvl_mkdir_p(const char *path, mode_t mode, int (*before)(void *data), void *data)
{
	char buf[PATH_MAX];
	int r;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	if (!before) {
		/* usually only the last one is missing, if any */
		r = mkdir_one(buf, mode);
		if (r != -ENOENT)
			return r;
	}
	for (char *p = buf + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (before && access(buf, F_OK) == 0)
			goto next;
		if (before) {
			r = before(data);
			if (r < 0)
				return r;
		}
		r = mkdir_one(buf, last ? mode : 0755);
		if (r < 0)
			return r;
	next:
		if (last)
			return 0;
		*p = '/';
	}
}

void *mvl_grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c;

	if (n < *cap)
		return v;
	c = *cap ? *cap * 2 : first;
	if (c <= n || c > SIZE_MAX / size)
		return NULL;
	v = realloc(v, c * size);
	if (v)
		*cap = c;
	return v;
}
