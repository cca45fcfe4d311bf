/* xl-memset: memory-set storm, in the spirit of libMicro's memset benchmark.
 * usage: xl-memset [PROCS] [MAX_MB]
 * Each process loops forever: map a region (sizes cycle from 4 KiB to MAX_MB),
 * memset it several times, unmap it.  Mapping and unmapping fresh memory
 * makes the PV guest's kernel update page tables through the hypervisor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void storm(size_t max)
{
	unsigned pass = 0;
	for (;;) {
		for (size_t sz = 4096; sz <= max; sz *= 4) {
			void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED) { usleep(1000); continue; }
			for (int r = 0; r < 4; r++)
				memset(p, (int)(pass + r), sz);
			munmap(p, sz);
			pass++;
		}
	}
}

int main(int argc, char **argv)
{
	int procs = argc > 1 ? atoi(argv[1]) : 1;
	long mb = argc > 2 ? atol(argv[2]) : 64;
	if (procs < 1) procs = 1;
	if (mb < 1) mb = 1;
	for (int i = 1; i < procs; i++)
		if (fork() == 0) break;
	storm((size_t)mb << 20);
	return 0;
}
