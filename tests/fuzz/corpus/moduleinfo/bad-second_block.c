/*** MODULEINFO
	<support_level>core</support_level>
 ***/

/*** MODULEINFO
	<support_level>core</support_level>
 ***/
