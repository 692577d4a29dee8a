/* churn: threads come and go continuously (thousands per second). main keeps
 * IN_FLIGHT threads alive, joining the oldest and starting a new one; each
 * thread, named "churn", runs churn_thread -> churn_work (a small spin,
 * about 20 us, WORK times over) and exits. Usage: churn [SECONDS [IN_FLIGHT
 * [WORK]]] (defaults 5 s, 4, 1). */
#include "common.h"

#define USAGE "churn [SECONDS [IN_FLIGHT [WORK]]]"

static unsigned long work = 1;

NOINLINE static uint64_t churn_work(uint64_t acc)
{
	for (unsigned long i = 0; i < SPIN_ITERS / 8 * work; i++) {
		acc = acc * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(acc));
	}
	return acc;
}

static void *churn_thread(void *arg)
{
	sample_name_self("churn");
	sample_sink = churn_work((uintptr_t)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = sample_seconds(argc, argv, 5, USAGE);
	long n = sample_arg_long(argc, argv, 2, 4, 1, 256, USAGE);
	work = (unsigned long)sample_arg_long(argc, argv, 3, 1, 1, 1000, USAGE);
	pthread_t t[256];
	uintptr_t made = 0;

	sample_arm(seconds);
	for (long i = 0; i < n; i++)
		sample_thread(&t[i], churn_thread, (void *)made++);
	for (long i = 0; !sample_stop; i = (i + 1) % n) {
		pthread_join(t[i], NULL);
		sample_thread(&t[i], churn_thread, (void *)made++);
	}
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
