/*** MODULEINFO
	<support_level>core</support_level>
	<config>same.conf</config>
	<config>same.conf</config>
 ***/
