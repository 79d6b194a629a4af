/*** MODULEINFO
	<support_level>core</support_level>
	<use>func_cut</use>
 ***/
