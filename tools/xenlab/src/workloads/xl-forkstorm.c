/* xl-forkstorm: bounded fork storm, in the spirit of libMicro's forkbomb.
 * usage: xl-forkstorm [MAX_CHILDREN] [TOUCH_KB]
 * Keeps at most MAX_CHILDREN children alive; each touches TOUCH_KB of its
 * copy-on-write memory and exits; the parent reaps and forks again forever.
 * The bound keeps the guest alive: it is a load, not a bomb. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[1 << 20];

int main(int argc, char **argv)
{
	int max = argc > 1 ? atoi(argv[1]) : 32;
	long kb = argc > 2 ? atol(argv[2]) : 64;
	if (max < 1) max = 1;
	if (kb < 0) kb = 0;
	if (kb > (long)sizeof(buf) / 1024) kb = sizeof(buf) / 1024;
	memset(buf, 1, sizeof(buf));
	int alive = 0;
	for (;;) {
		while (alive < max) {
			pid_t p = fork();
			if (p == 0) {
				for (long i = 0; i < kb * 1024; i += 4096)
					buf[i]++;
				_exit(0);
			}
			if (p < 0) { usleep(10000); break; }
			alive++;
		}
		if (wait(NULL) > 0)
			alive--;
		else if (errno == ECHILD)
			alive = 0;
	}
	return 0;
}
