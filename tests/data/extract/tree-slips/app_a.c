/*** MODULEINFO
	<support_level>core</support_level>
	<depend>Chan_b</depend>
 ***/
