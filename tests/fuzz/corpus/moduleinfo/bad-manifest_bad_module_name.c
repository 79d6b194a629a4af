/*** MODULEINFO
	<support_level>core</support_level>
	<canuse>res_odbc.so</canuse>
 ***/
