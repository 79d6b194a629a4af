/*** MODULEINFO
	<support_level>core</support_level>
	<member>func_cut</member>
 ***/
