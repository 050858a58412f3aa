/* SPDX-License-Identifier: MIT */
/*
 * blobs_rpc: the package store as the RPC layer sees it: listing (sorted
 * by agent, then by version in numeric-aware order) and the GetPackage,
 * UploadPackage and ListPackages handlers, which turn requests into
 * blobs_* calls and answer through meta_reply().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blobs.h"
#include "blobs_int.h"
#include "log.h"
#include "meta.h"

static int version_cmp(const char *a, const char *b);
static int info_cmp(const void *a, const void *b);

/* ------------------------------------------------------------ list */

/* Numeric-aware: runs of digits compare as numbers, the rest bytewise;
 * a -suffix sorts before the release it precedes (1.9.0-rc1 < 1.9.0). */
static int
version_cmp(const char *a, const char *b)
{
	size_t na, nb;
	int    c;

	while (*a != '\0' && *b != '\0') {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			while (*a == '0' && a[1] >= '0' && a[1] <= '9')
				a++;
			while (*b == '0' && b[1] >= '0' && b[1] <= '9')
				b++;
			na = strspn(a, "0123456789");
			nb = strspn(b, "0123456789");
			if (na != nb)
				return na < nb ? -1 : 1;
			if ((c = strncmp(a, b, na)) != 0)
				return c;
			a += na;
			b += nb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	if (*a == '-' || *b == '-')
		return *a == '-' ? -1 : 1;
	return (*a != '\0') - (*b != '\0');
}

static int
info_cmp(const void *a, const void *b)
{
	const struct blobs_info *x = a, *y = b;
	int                      c;

	if ((c = strcmp(x->agent, y->agent)) != 0)
		return c;
	return version_cmp(x->version, y->version);
}

enum au_status
blobs_list(struct blobs *b, const char *agent, struct blobs_info **out,
    size_t *n, struct au_err *err)
{
	struct blobs_info *v = NULL, *p;
	struct entry      *e;
	size_t             i, k = 0;

	*out = NULL;
	*n = 0;
	pthread_rwlock_rdlock(&b->lock);
	if (b->nentries > 0 && (v = calloc(b->nentries, sizeof(*v))) == NULL) {
		pthread_rwlock_unlock(&b->lock);
		return au_err_set(
		    err, AU_RESOURCE_EXHAUSTED, "list: no memory");
	}
	for (i = 0; i < b->nbuckets; i++)
		for (e = b->buckets[i]; e != NULL; e = e->next) {
			if (agent != NULL && *agent != '\0' &&
			    strcmp(agent, e->agent) != 0)
				continue;
			p = &v[k++];
			memcpy(p->agent, e->agent, sizeof(p->agent));
			memcpy(p->version, e->version, sizeof(p->version));
			p->size = e->size;
			memcpy(p->hash, e->hash, sizeof(p->hash));
			memcpy(p->key_id, e->key_id, sizeof(p->key_id));
			snprintf(p->uploaded_by, sizeof(p->uploaded_by), "%s",
			    e->who);
			p->uploaded_ms = e->uploaded_ms;
		}
	pthread_rwlock_unlock(&b->lock);
	for (i = 0; b->conf.running != NULL && i < k; i++)
		v[i].hosts_running = b->conf.running(
		    b->conf.running_arg, v[i].agent, v[i].version);
	if (k > 0)
		qsort(v, k, sizeof(*v), info_cmp);
	if (k == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = k;
	return AU_OK;
}

/* ------------------------------------------------------------ handlers */

void
blobs_handle_get(struct blobs *b, const Au__V1__GetPackageRequest *in,
    Au__V1__GetPackageReply_Closure closure, void *closure_data)
{
	Au__V1__GetPackageReply reply = AU__V1__GET_PACKAGE_REPLY__INIT;
	struct blobs_chunk      chunk;
	struct au_err           err = AU_ERR_INIT;
	uint32_t                retry = 0;
	size_t                  cap;
	uint8_t                *buf, *own = NULL;

	if (blobs_download_begin(b, &retry, &err) != AU_OK) {
		rpc_call_retry_after(closure_data, retry);
		meta_reply(closure_data, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	cap = in->length == 0 || in->length > RPC_CHUNK_BYTES ? RPC_CHUNK_BYTES
	                                                      : in->length;
	/* Read straight into the reply message when the RPC layer can. */
	if ((buf = rpc_call_reply_buffer(closure_data, cap)) == NULL)
		buf = own = malloc(cap);
	if (buf == NULL)
		au_err_set(
		    &err, AU_RESOURCE_EXHAUSTED, "get package: no memory");
	else
		blobs_read_chunk(b, in->agent, in->version, in->offset,
		    in->length, buf, cap, &chunk, &err);
	if (err.code == AU_OK) {
		reply.manifest.data = (uint8_t *)(uintptr_t)chunk.manifest;
		reply.manifest.len = chunk.manifest_len;
		reply.size = chunk.size;
		reply.offset = chunk.offset;
		reply.data.data = buf;
		reply.data.len = chunk.len;
	}
	meta_reply(closure_data, (ProtobufCClosure)closure, &reply, &err);
	free(own);
	blobs_download_end(b);
}

void
blobs_handle_upload(struct blobs *b, const Au__V1__UploadPackageRequest *in,
    Au__V1__UploadPackageReply_Closure closure, void *closure_data)
{
	Au__V1__UploadPackageReply reply = AU__V1__UPLOAD_PACKAGE_REPLY__INIT;
	const struct au_principal *who = rpc_call_caller(closure_data);
	struct blobs_upload_result res;
	struct au_err              err = AU_ERR_INIT;

	if (blobs_upload_chunk(b, who->name, in->manifest.data,
	        in->manifest.len, in->offset, in->data.data, in->data.len,
	        in->has_finish && in->finish, &res, &err) != AU_OK) {
		log_warnx("blobs: upload by %s: %s", who->name, err.msg);
		meta_reply(closure_data, (ProtobufCClosure)closure, NULL, &err);
		return;
	}
	reply.received = res.received;
	reply.has_stored = 1;
	reply.stored = res.stored;
	reply.has_already_present = 1;
	reply.already_present = res.already_present;
	reply.has_hash = 1;
	reply.hash.data = res.hash;
	reply.hash.len = SIG_HASH_BYTES;
	reply.package_id = res.package_id;
	closure(&reply, closure_data);
}

void
blobs_handle_list(struct blobs *b, const Au__V1__ListPackagesRequest *in,
    Au__V1__ListPackagesReply_Closure closure, void *closure_data)
{
	Au__V1__ListPackagesReply reply = AU__V1__LIST_PACKAGES_REPLY__INIT;
	Au__V1__Package          *pkgs = NULL, **ptrs = NULL;
	struct blobs_info        *v = NULL;
	struct au_err             err = AU_ERR_INIT;
	size_t                    i, n = 0;

	if (blobs_list(b, in->agent, &v, &n, &err) == AU_OK && n > 0 &&
	    ((pkgs = calloc(n, sizeof(*pkgs))) == NULL ||
	        (ptrs = calloc(n, sizeof(*ptrs))) == NULL))
		au_err_set(&err, AU_RESOURCE_EXHAUSTED, "list: no memory");
	for (i = 0; err.code == AU_OK && i < n; i++) {
		au__v1__package__init(&pkgs[i]);
		pkgs[i].agent = v[i].agent;
		pkgs[i].version = v[i].version;
		pkgs[i].size = v[i].size;
		pkgs[i].hash.data = v[i].hash;
		pkgs[i].hash.len = SIG_HASH_BYTES;
		pkgs[i].key_id = v[i].key_id;
		pkgs[i].has_uploaded_ms = 1;
		pkgs[i].uploaded_ms = v[i].uploaded_ms;
		pkgs[i].uploaded_by = v[i].uploaded_by;
		pkgs[i].has_hosts_running = 1;
		pkgs[i].hosts_running = v[i].hosts_running;
		ptrs[i] = &pkgs[i];
	}
	reply.n_packages = n;
	reply.packages = ptrs;
	meta_reply(closure_data, (ProtobufCClosure)closure, &reply, &err);
	free(ptrs);
	free(pkgs);
	free(v);
}
