/*** MODULEINFO
	<support_level>core</support_level>
	<use type=module>func_cut</use>
 ***/
