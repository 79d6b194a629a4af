/*** MODULEINFO
	<support_level>core</support_level>
	<depend>pjproject</depend>
 ***/
AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_GLOBAL_SYMBOLS, "Call Monitoring Resource");
