/*** MODULEINFO
	<support_level>core</support_level>
	<defaultenabled>maybe</defaultenabled>
 ***/
