#include "daemon/instance_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_NAME "serve.lock"

/* The pid recorded by the holder, 0 when unreadable. */
static long holder_pid(int fd)
{
    char buf[32] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    return n > 0 ? strtol(buf, NULL, 10) : 0;
}

hk_status hk_instance_lock(const char *data_dir, int *fd_out, hk_error *err)
{
    *fd_out = -1;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", data_dir, LOCK_NAME) >= (int)sizeof path)
        return hk_error_set(err, HK_EIO, NULL, "data directory path too long");
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST)
        return hk_error_set(err, HK_EIO, NULL, "cannot create data directory %s: %s", data_dir,
                            strerror(errno));
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return hk_error_set(err, HK_EIO, NULL, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        long pid = saved == EWOULDBLOCK ? holder_pid(fd) : 0;
        close(fd);
        if (saved != EWOULDBLOCK)
            return hk_error_set(err, HK_EIO, NULL, "cannot lock %s: %s", path, strerror(saved));
        return hk_error_set(err, HK_ECONFLICT, NULL,
                            "another hookd serve (pid %ld) is using %s: one server per data "
                            "directory",
                            pid, data_dir);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        /* The lock holds without the pid; only the other server's message would lack it. */
    }
    *fd_out = fd;
    return HK_OK;
}

void hk_instance_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}
