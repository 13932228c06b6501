/*
 * fault_fs.c - an LD_PRELOAD library that makes a full or read-only disk
 * appear under one directory, for tests/integration/test_faults_store.sh.
 *
 * We cannot mount a small or read-only filesystem in CI, and root writes
 * through read-only file modes, so the fault is injected at the C library:
 * while the file named by HOOKD_FAULT_FS_TRIGGER exists, every write-like
 * call (write, pwrite, pwrite64, writev, pwritev, ftruncate, fallocate) on a
 * file under HOOKD_FAULT_FS_DIR fails with the errno named in the trigger
 * file ("ENOSPC", "EROFS" or "EIO"; ENOSPC when empty). "SYNC-EIO" fails only
 * fsync and fdatasync, with EIO: the data reached the file but its
 * durability is unknown; "SYNC-EIO-DB" only those of the database file
 * itself (*.db), which SQLite syncs in checkpoints, not in commits. Syncs fail in that mode only: a
 * sync failure is a fault of its own (hookd stops writing until restarted), and a trigger created
 * between a commit's last write and its sync would otherwise turn a disk-full test into a
 * sync-failure one at random. Calls on other files, sockets and pipes go through untouched.
 *
 * SQLite (unix VFS) writes its database and WAL with pwrite64 and syncs with
 * fdatasync/fsync; its -shm index is written through mmap, which no wrapper
 * can see, as on a real full disk (the blocks are already allocated).
 *
 * HOOKD_FAULT_FS_LOG, when set, names a file that gets one line per call
 * failed on purpose ("fault_fs: pwrite64 fd 7 ENOSPC"): the test uses it to
 * show that the wrappers were reached.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* Exported wrappers have no prototypes of their own beyond libc's. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The next definition of each wrapped function (libc's), found once. */
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef int (*fsync_fn)(int);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*ftruncate64_fn)(int, off64_t);
typedef int (*fallocate_fn)(int, int, off_t, off_t);
typedef int (*posix_fallocate_fn)(int, off_t, off_t);

static void *next_symbol(void **slot, const char *name)
{
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        if (!f)
            abort(); /* a libc without it: the test cannot mean anything */
        __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    }
    return f;
}

/* real(TYPE, "name"): the next `name`, cached in a static of its own. */
#define real(type, name)                                                                           \
    ((type)({                                                                                      \
        static void *slot_;                                                                        \
        next_symbol(&slot_, name);                                                                 \
    }))

/* The errno to inject for `fd`, or 0 to let the call through. Costs one
 * stat() per call while no trigger exists: cheap enough for a test. */
static int fault_for(int fd, const char *call, int is_sync)
{
    const char *trigger = env("HOOKD_FAULT_FS_TRIGGER");
    const char *dir = env("HOOKD_FAULT_FS_DIR");
    if (!trigger || !dir)
        return 0;
    int saved = errno;
    struct stat st;
    int injected = 0;
    if (stat(trigger, &st) != 0)
        goto out;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        goto out;
    path[n] = '\0';
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    if (strncmp(path, dir, dlen) != 0 || (path[dlen] != '/' && path[dlen] != '\0'))
        goto out;
    char what[16] = "";
    int tfd = open(trigger, O_RDONLY | O_CLOEXEC);
    if (tfd >= 0) {
        ssize_t r = read(tfd, what, sizeof what - 1);
        what[r > 0 ? r : 0] = '\0';
        close(tfd);
    }
    size_t plen = strlen(path);
    bool database = plen > 3 && strcmp(path + plen - 3, ".db") == 0;
    if (strncmp(what, "SYNC-EIO-DB", 11) == 0)
        injected = is_sync && database ? EIO : 0; /* checkpoints sync the database file */
    else if (strncmp(what, "SYNC-EIO", 8) == 0)
        injected = is_sync ? EIO : 0; /* the data is written, only its sync fails */
    else if (is_sync)
        injected = 0; /* see the top of the file */
    else if (strncmp(what, "EROFS", 5) == 0)
        injected = EROFS;
    else if (strncmp(what, "EIO", 3) == 0)
        injected = EIO;
    else
        injected = ENOSPC;
    const char *log = env("HOOKD_FAULT_FS_LOG");
    if (log && injected) {
        /* O_APPEND of one short line: atomic enough between threads. */
        int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (lfd >= 0) {
            char line[128];
            int len = snprintf(line, sizeof line, "fault_fs: %s fd %d %s\n", call, fd,
                               injected == EROFS ? "EROFS"
                               : injected == EIO ? "EIO"
                                                 : "ENOSPC");
            if (len > 0)
                (void)real(write_fn, "write")(lfd, line, (size_t)len);
            close(lfd);
        }
    }
out:
    errno = saved;
    return injected;
}

#define FAULT(fd, call, is_sync)                                                                   \
    do {                                                                                           \
        int e_ = fault_for(fd, call, is_sync);                                                     \
        if (e_) {                                                                                  \
            errno = e_;                                                                            \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

ssize_t write(int fd, const void *buf, size_t n)
{
    FAULT(fd, "write", 0);
    return real(write_fn, "write")(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    FAULT(fd, "pwrite", 0);
    return real(pwrite_fn, "pwrite")(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    FAULT(fd, "pwrite64", 0);
    return real(pwrite64_fn, "pwrite64")(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    FAULT(fd, "writev", 0);
    return real(writev_fn, "writev")(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    FAULT(fd, "pwritev", 0);
    return real(pwritev_fn, "pwritev")(fd, iov, cnt, off);
}

int fsync(int fd)
{
    FAULT(fd, "fsync", 1);
    return real(fsync_fn, "fsync")(fd);
}

int fdatasync(int fd)
{
    FAULT(fd, "fdatasync", 1);
    return real(fsync_fn, "fdatasync")(fd);
}

int ftruncate(int fd, off_t len)
{
    FAULT(fd, "ftruncate", 0);
    return real(ftruncate_fn, "ftruncate")(fd, len);
}

int ftruncate64(int fd, off64_t len)
{
    FAULT(fd, "ftruncate64", 0);
    return real(ftruncate64_fn, "ftruncate64")(fd, len);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
    FAULT(fd, "fallocate", 0);
    return real(fallocate_fn, "fallocate")(fd, mode, off, len);
}

/* posix_fallocate reports errors as its return value, not in errno. */
int posix_fallocate(int fd, off_t off, off_t len)
{
    int e = fault_for(fd, "posix_fallocate", 0);
    if (e)
        return e;
    return real(posix_fallocate_fn, "posix_fallocate")(fd, off, len);
}
