/*** MODULEINFO
	<?xml version="1.0"?>
	<support_level>core</support_level>
 ***/
