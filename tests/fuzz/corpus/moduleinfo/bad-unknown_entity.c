/*** MODULEINFO
	<support_level>core</support_level>
	<description>Fish
		&amp; chips &nbsp; peas</description>
 ***/
