/*** MODULEINFO
	<support_level>core</support_level>
	<depend optional="true">func_cut</depend>
 ***/
