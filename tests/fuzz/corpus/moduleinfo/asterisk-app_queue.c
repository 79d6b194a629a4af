/* The asterisk dialect: untyped and optional uses, a support level in
 * another case, and what MODULEINFO leaves out read from the macro. */
/*** MODULEINFO
	<depend>res_monitor</depend>
	<depend>sqlite3</depend>
	<use>func_cut</use>
	<use type="module">chan_local</use>
	<support_level>Core</support_level>
 ***/

/*** DOCUMENTATION
	<application name="Queue"/>
	<agi name="queue show"/>
 ***/
#define AST_MODULE "app_queue"
AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_LOAD_ORDER, "True Call Queueing",
	.support_level = AST_MODULE_SUPPORT_CORE,
	.load = load_module, /* "not the description" */
	.load_pri = AST_MODPRI_DEVSTATE_CONSUMER,
);
