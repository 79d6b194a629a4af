/*** MODULEINFO
	<support_level>core</support_level>
	<depend>func_cut</depend>
	<use type="Module">func_uri</use>
 ***/
