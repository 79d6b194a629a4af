/*** MODULEINFO
	<support_level>core</support_level>
	<depend>
		<name>func_cut</name>
	</depend>
 ***/
