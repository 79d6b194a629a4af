/*** MODULEINFO
	<support_level>Core</support_level>
 ***/
