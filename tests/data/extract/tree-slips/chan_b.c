/*** MODULEINFO
	<support_level>core</support_level>
	<depend>openssl</depend>
 ***/
