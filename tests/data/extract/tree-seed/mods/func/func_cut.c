/*** MODULEINFO
	<support_level>extended</support_level>
	<defaultenabled>yes</defaultenabled>
	<depend>pjproject</depend>
 ***/
int func_cut_placeholder;
