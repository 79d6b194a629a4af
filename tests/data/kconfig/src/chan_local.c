/*** MODULEINFO
	<support_level>core</support_level>
 ***/

int chan_local_placeholder;
