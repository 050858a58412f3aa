/* SPDX-License-Identifier: MIT */
/*
 * report: building reports and their wire form (au.v1.ReportRequest),
 * which is also the spool's record format.
 */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "au.pb-c.h"
#include "sig.h"
#include "timeutil.h"

static void copy(char *dst, size_t dstsz, const char *src);

static void
copy(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src != NULL ? src : "");
}

void
report_init(struct report *r, const char *agent, const char *version,
    enum report_action action)
{
	uint8_t id[(REPORT_ID_BYTES - 1) / 2];

	memset(r, 0, sizeof(*r));
	sig_random(id, sizeof(id));
	sig_hex_encode(r->id, sizeof(r->id), id, sizeof(id));
	copy(r->agent, sizeof(r->agent), agent);
	copy(r->version, sizeof(r->version), version);
	r->action = action;
	r->outcome = REPORT_FAILED;
	r->exit_code = -1;
	r->time_ms = timeutil_wall_ms();
}

void
report_set(struct report *r, enum report_outcome outcome, const char *step,
    const char *fmt, ...)
{
	va_list ap;

	r->outcome = outcome;
	copy(r->step, sizeof(r->step), step);
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	r->time_ms = timeutil_wall_ms();
}

void
report_set_output(struct report *r, const struct agentctl_result *res)
{
	r->exit_code = res->exit_code;
	memcpy(r->output_tail, res->tail, res->tail_len);
	r->output_tail[res->tail_len] = '\0';
}

const char *
report_outcome_name(enum report_outcome o)
{
	switch (o) {
	case REPORT_OK:
		return "ok";
	case REPORT_ROLLED_BACK:
		return "rolled back";
	case REPORT_CRASHED:
		return "crashed";
	default:
		return "failed";
	}
}

void
report_to_wire(
    const struct report *r, const char *hostname, Au__V1__ReportRequest *req)
{
	/* protobuf-c's char * fields are not const; nothing writes them. */
	req->hostname = (char *)(uintptr_t)hostname;
	req->report_id = (char *)(uintptr_t)r->id;
	req->agent = (char *)(uintptr_t)r->agent;
	req->version = (char *)(uintptr_t)r->version;
	req->from_version = (char *)(uintptr_t)r->from_version;
	req->outcome = (Au__V1__Outcome)r->outcome;
	req->step = (char *)(uintptr_t)r->step;
	/* -1: no script ran (or it did not exit), so there is no code. */
	req->has_exit_code = r->exit_code >= 0;
	req->exit_code = r->exit_code;
	req->output_tail = (char *)(uintptr_t)r->output_tail;
	req->has_duration_ms = 1;
	req->duration_ms = r->duration_ms;
	req->message = (char *)(uintptr_t)r->message;
	req->has_time_ms = 1;
	req->time_ms = r->time_ms;
	req->has_action = 1;
	req->action = (Au__V1__Action)r->action;
}

enum au_status
report_pack(
    const struct report *r, const char *hostname, uint8_t **out, size_t *outlen)
{
	Au__V1__ReportRequest req = AU__V1__REPORT_REQUEST__INIT;

	report_to_wire(r, hostname, &req);
	*outlen = au__v1__report_request__get_packed_size(&req);
	if ((*out = malloc(*outlen ? *outlen : 1)) == NULL)
		return AU_RESOURCE_EXHAUSTED;
	au__v1__report_request__pack(&req, *out);
	return AU_OK;
}

enum au_status
report_unpack(
    const uint8_t *buf, size_t len, struct report *r, struct au_err *err)
{
	Au__V1__ReportRequest *req;

	if ((req = au__v1__report_request__unpack(NULL, len, buf)) == NULL)
		return au_err_set(
		    err, AU_INVALID_ARGUMENT, "bad report record");
	memset(r, 0, sizeof(*r));
	copy(r->id, sizeof(r->id), req->report_id);
	copy(r->agent, sizeof(r->agent), req->agent);
	copy(r->version, sizeof(r->version), req->version);
	copy(r->from_version, sizeof(r->from_version), req->from_version);
	r->outcome = (enum report_outcome)req->outcome;
	r->action =
	    req->has_action ? (enum report_action)req->action : REPORT_START;
	copy(r->step, sizeof(r->step), req->step);
	r->exit_code = req->has_exit_code ? req->exit_code : -1;
	copy(r->output_tail, sizeof(r->output_tail), req->output_tail);
	r->duration_ms = req->duration_ms;
	copy(r->message, sizeof(r->message), req->message);
	r->time_ms = req->time_ms;
	au__v1__report_request__free_unpacked(req, NULL);
	return AU_OK;
}
