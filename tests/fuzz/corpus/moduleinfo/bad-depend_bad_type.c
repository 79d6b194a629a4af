/*** MODULEINFO
	<support_level>core</support_level>
	<depend type="library">ssl</depend>
 ***/
