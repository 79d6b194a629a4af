/* SPDX-License-Identifier: MIT */
/*
 * A module's users as its holders and the administrator see them: object
 * users (mf_user_add(), a call or channel holding the module with a cancel
 * callback) and the views `module show`, `module users` and `module deps`
 * read (lifecycle.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/lifecycle.h"

int mf_user_add(struct mf_module *mod, const char *label, mf_cancel_fn cancel,
		void *data, struct mf_user **out)
{
	struct mf_user *u = mf_calloc(1, sizeof(*u));
	int err = -ENOMEM;

	if (!u)
		return -ENOMEM;
	u->label = mf_strdup(label ? label : "object");
	if (!u->label)
		goto err_free;
	u->mod = mod;
	u->cancel = cancel;
	u->data = data;
	mf_lock(mod->ctx);
	if (mod->state != MF_STATE_RUNNING || mod->force_stop) {
		mf_unlock(mod->ctx);
		err = -ESHUTDOWN;
		goto err_label;
	}
	u->next = mod->objects;
	mod->objects = u;
	mod->n_objects++;
	mf_unlock(mod->ctx);
	*out = u;
	return 0;

err_label:
	mf_free(u->label);
err_free:
	mf_free(u);
	return err;
}

void mf_user_remove(struct mf_user *user)
{
	struct mf_module *mod;
	struct mf_user **pp;

	if (!user)
		return;
	mod = user->mod;
	mf_lock(mod->ctx);
	for (pp = &mod->objects; *pp; pp = &(*pp)->next) {
		if (*pp == user) {
			*pp = user->next;
			mod->n_objects--;
			break;
		}
	}
	mf_check_idle_now(mod);
	pthread_cond_broadcast(&mod->ctx->idle);
	mf_unlock(mod->ctx);
	mf_free(user->label);
	mf_free(user);
}

/* ---- views -------------------------------------------------------------- */

int mf_module_info(struct mf_module *mod, struct mf_module_info *info)
{
	mf_lock(mod->ctx);
	info->name = mod->name;
	info->description = mod->description;
	info->backend = mod->backend->name;
	info->support_level = mod->support_level;
	info->load_priority = mod->load_priority;
	info->state = mod->state;
	info->users = mf_module_users_count(mod);
	info->refs = atomic_load(&mod->refs) & ~MF_REFS_CLOSED;
	info->lib_refs = mod->lib_refs;
	info->admin = mod->admin_why != NULL;
	info->unload_blocked = mod->unload_blocked;
	info->why = mod->state == MF_STATE_RUNNING ? mod->start_why : NULL;
	info->last_error = mod->last_error;
	mf_unlock(mod->ctx);
	return 0;
}

int mf_module_users(struct mf_module *mod,
		    void (*fn)(void *data, const char *kind, const char *who,
			       const char *detail),
		    void *data)
{
	char buf[32];
	unsigned refs;

	mf_lock(mod->ctx);
	if (mod->admin_why)
		fn(data, "admin", "administrator", mod->admin_why);
	for (size_t i = 0; i < mod->dependents.n; i++) {
		const struct mf_edge *e = &mod->dependents.items[i];
		char *detail = mf_strdup_printf("%s=%s", e->user->uses[e->use].type,
						e->user->uses[e->use].name);

		fn(data, "module", e->user->name, detail ? detail : "");
		mf_free(detail);
	}
	for (const struct mf_user *u = mod->objects; u; u = u->next)
		fn(data, "object", u->label, u->cancelled ? "asked to go" : "");
	refs = atomic_load(&mod->refs) & ~MF_REFS_CLOSED;
	if (refs) {
		snprintf(buf, sizeof(buf), "%u held", refs);
		fn(data, "refs", "references", buf);
	}
	mf_unlock(mod->ctx);
	return 0;
}

int mf_module_deps(struct mf_module *mod,
		   void (*fn)(void *data, const struct mf_table_ref *use,
			      const char *provider, unsigned priority),
		   void *data)
{
	mf_lock(mod->ctx);
	for (unsigned i = 0; i < mod->n_uses; i++) {
		const struct mf_module *p = mod->chosen[i];

		fn(data, &mod->uses[i], p ? p->name : NULL,
		   p ? mf_module_provides_priority(p, mod->uses[i].type,
						   mod->uses[i].name) : 0);
	}
	mf_unlock(mod->ctx);
	return 0;
}
