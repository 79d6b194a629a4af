/*** MODULEINFO
	<support_level>core</support_level>
	<depend>chan_d</depend>
 ***/
