/* SPDX-License-Identifier: MIT */
/*
 * nngclose: see nngclose.h.  The job is shared by the caller and the
 * closing thread and freed by whichever lets go of it last.
 */
#include "nngclose.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct close_job {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	nng_socket      sock;
	void (*late)(void *); /* when the caller gave up: frees arg */
	void *arg;            /* the caller's until it gives up */
	bool  done;
	bool  gave_up;
	int   refs;
};

static void
job_unref(struct close_job *j)
{
	int left;

	pthread_mutex_lock(&j->mu);
	left = --j->refs;
	pthread_mutex_unlock(&j->mu);
	if (left > 0)
		return;
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

static void *
close_thread(void *arg)
{
	struct close_job *j = arg;
	bool              late;

	nng_close(j->sock);
	pthread_mutex_lock(&j->mu);
	j->done = true;
	late = j->gave_up;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	if (late && j->late != NULL)
		j->late(j->arg);
	job_unref(j);
	return NULL;
}

static void
deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

bool
nngclose(nng_socket sock, int wait_ms, void (*late)(void *), void *arg)
{
	struct close_job  *j;
	struct timespec    until;
	pthread_condattr_t ca;
	pthread_t          t;
	bool               done;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		nng_close(sock);
		return true;
	}
	pthread_mutex_init(&j->mu, NULL);
	/* A wall clock set back must not stretch the wait. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	j->sock = sock;
	j->late = late;
	j->arg = arg;
	j->refs = 2;
	if (pthread_create(&t, NULL, close_thread, j) != 0) {
		j->refs = 1;
		job_unref(j);
		nng_close(sock);
		return true;
	}
	pthread_detach(t);
	deadline_after(&until, wait_ms);
	pthread_mutex_lock(&j->mu);
	while (!j->done && pthread_cond_timedwait(&j->cv, &j->mu, &until) == 0)
		;
	done = j->done;
	j->gave_up = !done; /* from here on, arg is the closing thread's */
	pthread_mutex_unlock(&j->mu);
	job_unref(j);
	return done;
}
