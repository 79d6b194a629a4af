/*** MODULEINFO
	<support_level>core</support_level>
	<provides priority="3">timer</provides>
 ***/
