/*** MODULEINFO
	<support_level>extended</support_level>
	<defaultenabled>yes</defaultenabled>
 ***/

int func_cut_placeholder;
