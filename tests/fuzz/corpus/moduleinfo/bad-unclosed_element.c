/*** MODULEINFO
	<support_level>core</support_level>
	<depend>func_cut
 ***/
