/* SPDX-License-Identifier: MIT */
/*
 * The embedded backend: the module's code is in the image and its descriptor
 * is in the generated table, so mapping is a lookup and unmapping is nothing.
 * An unload of an embedded module is a stop; a later load starts it again.
 */
#include "core/internal.h"

static int embedded_map(struct mf_context *ctx, struct mf_module *mod,
			void *data, const struct manifold_module **desc)
{
	(void)ctx;
	(void)mod;
	*desc = data;
	return 0;
}

const struct mf_backend_ops mf_embedded_backend = {
	.name = "embedded",
	.map = embedded_map,
};
