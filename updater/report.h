/* SPDX-License-Identifier: MIT */
/*
 * report: what the updater tells meta about one action (install, stop,
 * restart) on one agent.  Each report has a unique id, so a report that
 * is sent twice (from the spool after a lost reply) is stored once.  The
 * numbers of the enums are the wire's (au.v1.Outcome, au.v1.Action).
 */
#ifndef AU_REPORT_H
#define AU_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "agentctl.h"
#include "err.h"

#define REPORT_ID_BYTES 33 /* 32 hex digits and a NUL */
#define REPORT_NAME_MAX 64

enum report_outcome {
	REPORT_OK = 1,
	REPORT_FAILED = 2,
	REPORT_ROLLED_BACK = 3,
	REPORT_CRASHED = 4, /* found not started after its health window */
};

enum report_action {
	REPORT_START = 1,
	REPORT_STOP = 2,
	REPORT_REMOVE = 3, /* stop it and delete the agent's folder */
};

struct report {
	char                id[REPORT_ID_BYTES];
	char                agent[REPORT_NAME_MAX + 1];
	char                version[REPORT_NAME_MAX + 1];
	char                from_version[REPORT_NAME_MAX + 1];
	enum report_outcome outcome;
	enum report_action  action;
	char                step[16]; /* download, verify, start, health, ... */
	int                 exit_code;
	char                output_tail[AGENTCTL_TAIL_BYTES + 1];
	uint32_t            duration_ms;
	char                message[AU_ERR_MSG_BYTES];
	uint64_t            time_ms; /* when the action ended, Unix ms */
};

/* Start a report: a fresh random id, outcome FAILED until told otherwise,
 * time_ms set to now.  agent and version are copied (truncated). */
void report_init(struct report *r, const char *agent, const char *version,
    enum report_action action);

/* Set outcome, step and message (printf-style; NULL step allowed). */
void report_set(struct report *r, enum report_outcome outcome, const char *step,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Copy a control script's exit code and output tail into r. */
void report_set_output(struct report *r, const struct agentctl_result *res);

/* "ok", "failed", "rolled back", "crashed". */
const char *report_outcome_name(enum report_outcome o);

/* Fill req (initialized by the caller with AU__V1__REPORT_REQUEST__INIT)
 * from r; req borrows r's and hostname's strings. */
struct Au__V1__ReportRequest;
void report_to_wire(const struct report *r, const char *hostname,
    struct Au__V1__ReportRequest *req);

/* Pack r as an au.v1.ReportRequest from hostname into a new buffer the
 * caller frees with free().  AU_RESOURCE_EXHAUSTED when out of memory. */
enum au_status report_pack(const struct report *r, const char *hostname,
    uint8_t **out, size_t *outlen);

/* Unpack an au.v1.ReportRequest into r.  AU_INVALID_ARGUMENT when it is
 * malformed. */
enum au_status report_unpack(
    const uint8_t *buf, size_t len, struct report *r, struct au_err *err);

#endif
