/*** MODULEINFO
	<support_level>core</support_level>
	<description>Cut: from MODULEINFO, not the macro</description>
 ***/
AST_MODULE_INFO_STANDARD(ASTERISK_GPL_KEY, "Cut function");
