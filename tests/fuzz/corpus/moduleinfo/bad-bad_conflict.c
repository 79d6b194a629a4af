/*** MODULEINFO
	<support_level>core</support_level>
	<conflict>res_ok</conflict>
	<conflict>chan_sip.so</conflict>
 ***/
