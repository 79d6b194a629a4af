/*** MODULEINFO
	<support_level>core</support_level>
	<support_level>extended</support_level>
 ***/
