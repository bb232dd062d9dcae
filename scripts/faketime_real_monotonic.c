/* Preloaded before libfaketime by scripts/run_tests_at.sh.
 *
 * With FAKETIME_DONT_FAKE_MONOTONIC=1 libfaketime 0.9.10 leaves clock_gettime(CLOCK_MONOTONIC) real but
 * still shifts the deadline of clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) by the fake offset, so
 * Python's time.sleep fails with EINVAL. Faking the monotonic clock instead hangs every timed lock wait
 * (Python's sem_clockwait deadline lands years away). This passes monotonic sleeps straight to the kernel;
 * the wall clock (dates) stays faked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_nanosleep_fn)(clockid_t, int, const struct timespec *, struct timespec *);

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *request, struct timespec *remain) {
    if (clock_id == CLOCK_MONOTONIC) {
        return syscall(SYS_clock_nanosleep, clock_id, flags, request, remain) == 0 ? 0 : errno;
    }
    static clock_nanosleep_fn next;
    if (!next) {
        next = (clock_nanosleep_fn)dlsym(RTLD_NEXT, "clock_nanosleep");
    }
    return next(clock_id, flags, request, remain);
}
