/* mark N: issue N SCHEDOP_yield hypercalls from dom0 (through privcmd).
 *
 * Xen writes one TRC_SCHED_YIELD [0, vcpu] record for each, so a lifecycle
 * step's moment is found in the trace on the trace's own clock: the runner
 * marks step IDX with 20+2*IDX yields right before it and 21+2*IDX right
 * after it. dom0 does not yield otherwise (its kernel's spin locks poll).
 * A static binary (run-experiment builds it into the run's input archive):
 * it starts in milliseconds where python3 took seconds in a loaded dom0. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct privcmd_hypercall {
  uint64_t op;
  uint64_t arg[5];
};
/* _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall)) */
#define IOCTL_PRIVCMD_HYPERCALL ((sizeof(struct privcmd_hypercall) << 16) | ('P' << 8) | 0)
#define HYPERVISOR_sched_op 29
#define SCHEDOP_yield 0

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  int fd = open("/dev/xen/privcmd", O_RDWR);
  if (fd < 0) fd = open("/proc/xen/privcmd", O_RDWR);
  if (fd < 0) {
    perror("mark: privcmd");
    return 1;
  }
  struct privcmd_hypercall h = {HYPERVISOR_sched_op, {SCHEDOP_yield, 0, 0, 0, 0}};
  for (int i = 0; i < n; i++)
    if (ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h) < 0) {
      perror("mark: SCHEDOP_yield");
      return 2;
    }
  close(fd);
  return 0;
}
