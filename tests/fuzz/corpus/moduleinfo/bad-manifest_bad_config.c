/*** MODULEINFO
	<support_level>core</support_level>
	<config>ok.conf</config>
	<config>sub/dir.conf</config>
 ***/
