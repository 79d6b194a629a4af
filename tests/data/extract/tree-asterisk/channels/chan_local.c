/*** MODULEINFO
	<support_level>EXTENDED</support_level>
	<conflict>chan_old</conflict>
 ***/
AST_MODULE_INFO_STANDARD_EXTENDED(ASTERISK_GPL_KEY, "Local Proxy " "Channel");
