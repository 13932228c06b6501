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
    int fd = -1;
    /* A holder removes the file when it lets go: a lock won on a file that is no longer
     * the one at `path` guards nothing, so try again on the new one. */
    for (int tries = 0; fd < 0; tries++) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
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
        struct stat held, now;
        if (fstat(fd, &held) != 0 || stat(path, &now) != 0 || held.st_ino != now.st_ino ||
            held.st_dev != now.st_dev) {
            close(fd);
            fd = -1;
            if (tries == 10)
                return hk_error_set(err, HK_EIO, NULL, "cannot lock %s: it keeps being replaced",
                                    path);
        }
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        /* The lock holds without the pid; only the other server's message would lack it. */
    }
    *fd_out = fd;
    return HK_OK;
}

void hk_instance_unlock(const char *data_dir, int fd)
{
    if (fd < 0)
        return;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", data_dir, LOCK_NAME) < (int)sizeof path)
        (void)unlink(
            path); /* a stale file would only be re-used; failing to remove it is harmless */
    close(fd);
}
