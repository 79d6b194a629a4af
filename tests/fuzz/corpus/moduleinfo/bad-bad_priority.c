/*** MODULEINFO
	<support_level>core</support_level>
	<provides type="service" priority="65536">timer</provides>
 ***/
