/* xl-compute: CPU-saturating user-space compute (healthy workload).
 * usage: xl-compute [THREADS]   runs until killed; no system calls in the loop. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static volatile uint64_t sink[64];

static void *work(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ id, acc = 0;
	double d = 1.0;
	for (uint64_t n = 0;; n++) {
		/* xorshift, a multiply chain and some floating point */
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		acc += (x * 0x2545f4914f6cdd1dULL) >> 11;
		d = d * 1.0000001 + (double)(x & 0xff) * 1e-9;
		if ((n & 0xfffff) == 0)
			sink[id & 63] = acc + (uint64_t)d;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	if (n < 1) n = 1;
	pthread_t t;
	for (int i = 1; i < n; i++)
		if (pthread_create(&t, NULL, work, (void *)(uintptr_t)i) != 0) { perror("pthread_create"); return 1; }
	work((void *)0);
	return 0;
}
